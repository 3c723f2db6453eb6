"""Projection positions and the catalog read tables (rooms, cast, tickets).

Literal SQL, frozen here (never imported from application code): what this
revision has created on a fresh database since it was written. The catalog's
tiers and refund policies are created by 0010 and 0012. A later change to a
read table is a new migration plus the same change in the projection's DDL;
tests/integration/test_migration_drift.py fails when the two disagree.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATEMENTS = (
    "CREATE TABLE projection_positions (name VARCHAR(64) PRIMARY KEY, position BIGINT NOT NULL)",
    "CREATE TABLE rooms_view (room_id VARCHAR(36) PRIMARY KEY, host_id TEXT NOT NULL, title TEXT NOT NULL,"
    " state VARCHAR(16) NOT NULL, scheduled_start_us BIGINT NOT NULL, price_amount BIGINT NOT NULL,"
    " price_currency VARCHAR(3) NOT NULL, capacity INTEGER NOT NULL, sales_end_us BIGINT,"
    " opened_us BIGINT NOT NULL, started_us BIGINT, ended_us BIGINT, cancelled_us BIGINT,"
    " paid_count INTEGER NOT NULL DEFAULT 0, position BIGINT NOT NULL)",
    "CREATE INDEX rooms_view_by_host ON rooms_view (host_id, opened_us)",
    "CREATE INDEX rooms_view_by_state ON rooms_view (state, opened_us)",
    "CREATE TABLE room_cast (room_id VARCHAR(36) NOT NULL, user_id TEXT NOT NULL, role VARCHAR(16) NOT NULL,"
    " PRIMARY KEY (room_id, user_id))",
    "CREATE TABLE tickets_view (ticket_id VARCHAR(36) PRIMARY KEY, room_id VARCHAR(36) NOT NULL, holder_id TEXT NOT NULL,"
    " host_id TEXT NOT NULL, status VARCHAR(16) NOT NULL, price_amount BIGINT NOT NULL,"
    " price_currency VARCHAR(3) NOT NULL, reserved_us BIGINT NOT NULL, hold_expires_us BIGINT NOT NULL,"
    " paid_us BIGINT, provider VARCHAR(16), payment_id TEXT, fee BIGINT NOT NULL DEFAULT 0,"
    " refunded_amount BIGINT NOT NULL DEFAULT 0, release_reason VARCHAR(32), revoke_reason VARCHAR(32),"
    " position BIGINT NOT NULL, revoked_position BIGINT)",
    "CREATE INDEX tickets_view_by_holder ON tickets_view (holder_id, reserved_us)",
    "CREATE INDEX tickets_view_by_room ON tickets_view (room_id, status)",
    "CREATE INDEX tickets_view_by_revocation ON tickets_view (room_id, revoked_position)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in ("tickets_view", "room_cast", "rooms_view", "projection_positions"):
        op.execute(f"DROP TABLE {table}")
