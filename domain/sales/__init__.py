"""Sales: the `Ticket` aggregate and its states, promo codes, refund policies,
and the commands that reserve, pay, hold, refund and self-refund tickets, with
the group commit that batches the hot sale path.

May import eventsourcing, the stdlib, domain's top modules and the rooms model
(a sale reads its room); nothing of creators, attendance or webhooks.
"""
