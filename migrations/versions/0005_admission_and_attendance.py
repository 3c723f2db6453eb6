"""Admission signing keys (one shared row) and the check-in log read table.

Literal SQL, frozen here (never imported from application code).

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STATEMENTS = (
    "CREATE TABLE admission_keyring (id INTEGER PRIMARY KEY, records TEXT NOT NULL, version INTEGER NOT NULL)",
    "CREATE TABLE attendance_sessions (room_id VARCHAR(36) NOT NULL, user_id TEXT NOT NULL, session_id TEXT NOT NULL,"
    " role VARCHAR(16), joined_us BIGINT, left_us BIGINT, PRIMARY KEY (room_id, user_id, session_id))",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in ("attendance_sessions", "admission_keyring"):
        op.execute(f"DROP TABLE {table}")
