"""The event store and write guards on SQLite (embedded default) or PostgreSQL."""
