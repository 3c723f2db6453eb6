"""Creators: the `Creator` aggregate (profile, eligibility attestations, payout
account at the processor; model.py), and the command classes that register and
attest a creator (commands.py) and open and follow its payout account
(accounts.py).

May import eventsourcing, the stdlib and domain's top modules only.
"""
