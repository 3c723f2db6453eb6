"""Attendance: who is in a room's media session (`Presence`) and the media
server's room (`MediaRoom`), with the commands that track them.

May import eventsourcing, the stdlib, domain's top modules and the rooms model
(a presence belongs to a room); nothing of sales, creators or webhooks.
"""
