"""Sales: the `Ticket` aggregate and its states (model.py, states.py), promo codes
(codes.py, code_commands.py, code_uses.py), refund policies (refund_policies.py),
and the command classes that sell (commands.py: reserve, pay, record the outcome,
through the group commit of group_commit.py; settling.py applies one outcome;
purchases.py holds what a purchase asks and is answered),
release expired holds (holds.py), refund, cancel and dispute (refunds.py), refund
on the holder's own request or reschedule (self_refunds.py) and give tickets
away (transfers.py).

May import eventsourcing, the stdlib, domain's top modules, the rooms model (a sale
reads its room) and the creators' commands (a code belongs to a creator); never
attendance or webhooks. The sales, holds and refunds commands call each other
through functions the application passes in, not by importing each other.
"""
