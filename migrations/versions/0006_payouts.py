"""Payouts: per-room pending earnings in the ledger, the payouts and reconciliation read tables.

Literal SQL, frozen here (never imported from application code).

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STATEMENTS = (
    "CREATE TABLE ledger_room_pending (room_id VARCHAR(36) NOT NULL, currency VARCHAR(3) NOT NULL,"
    " amount BIGINT NOT NULL, PRIMARY KEY (room_id, currency))",
    "CREATE TABLE payouts_view (payout_id VARCHAR(36) PRIMARY KEY, creator_id TEXT NOT NULL,"
    " currency VARCHAR(3) NOT NULL, amount BIGINT NOT NULL, period VARCHAR(16) NOT NULL, run_id VARCHAR(36) NOT NULL,"
    " destination TEXT, status VARCHAR(16) NOT NULL, transfer_id TEXT, failure TEXT, scheduled_us BIGINT NOT NULL,"
    " updated_us BIGINT NOT NULL)",
    "CREATE INDEX payouts_view_by_creator ON payouts_view (creator_id, scheduled_us)",
    "CREATE INDEX payouts_view_by_run ON payouts_view (run_id)",
    "CREATE TABLE reconciliation_runs (run_id VARCHAR(36) PRIMARY KEY, recorded_us BIGINT NOT NULL,"
    " from_us BIGINT NOT NULL, to_us BIGINT NOT NULL, requested_by TEXT NOT NULL, clean BOOLEAN NOT NULL,"
    " summary TEXT NOT NULL)",
    "CREATE INDEX reconciliation_runs_by_time ON reconciliation_runs (recorded_us)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in ("reconciliation_runs", "payouts_view", "ledger_room_pending"):
        op.execute(f"DROP TABLE {table}")
