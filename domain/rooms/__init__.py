"""Rooms: the `Room` aggregate (a ticketed live audio room), its ticket tiers and
the commands that open, schedule, reprice, start, end and cancel a room.

May import eventsourcing, the stdlib and domain's top modules (money, ids,
clock, errors, policies, payments, guards); nothing of the other contexts.
"""
