"""Test helpers shared across folders: the service in its own processes (server.py), fakes, a TCP
proxy for outages, and the guard port's contract words (guard_store.py). Also used by bench/.
May import: anything."""
