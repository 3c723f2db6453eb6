"""Attendance: who is in a room's media session (`Presence`, model.py) and the
media server's room (`MediaRoom`, media_rooms.py), with the command class that
records media servers' reports (commands.py).

May import eventsourcing, the stdlib, domain's top modules and the rooms model
(a finished media session may end its room); never sales, creators or webhooks.
"""
