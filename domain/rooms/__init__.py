"""Rooms: the `Room` aggregate (a ticketed live audio room) and its ticket tiers
(model.py, tiers.py), and the command classes that open, change, cast, start and
end a room (commands.py) and add, reprice, resize and close its tiers
(tier_commands.py).

May import eventsourcing, the stdlib, domain's top modules (money, ids, clock,
errors, policies, payments, guards, unit_of_work) and the creators' commands (only
a registered, eligible creator opens a room); never sales, attendance or webhooks.
"""
