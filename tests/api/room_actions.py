"""A room's lifecycle step over HTTP (start, end, cancel), for the room tests that need one."""

from __future__ import annotations


def act(client, room, action, caller):
    return client.post(f"/v1/rooms/{room['id']}/{action}", headers=caller.headers)
