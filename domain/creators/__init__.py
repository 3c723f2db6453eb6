"""Creators: the `Creator` aggregate (profile, eligibility attestations, payout
account at the processor) and its account commands.

May import eventsourcing, the stdlib and domain's top modules only.
"""
