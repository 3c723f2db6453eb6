"""The domain's application on a temporary SQLite store (and PostgreSQL where both must agree):
rules held by the write guards, loading, events stored before a change. May import: anything."""
