"""Payouts: per-room pending earnings in the ledger, the payouts and reconciliation read tables.

Revision ID: 0006
"""

from alembic import op

from projections.ledger import LedgerProjection
from projections.payouts import PayoutsProjection

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NEW_LEDGER_TABLES = ("ledger_room_pending",)


def upgrade() -> None:
    tables = [t for t in LedgerProjection().tables() if t[0] in NEW_LEDGER_TABLES] + PayoutsProjection().tables()
    for _, create, indexes in tables:
        op.execute(create)
        for index in indexes:
            op.execute(index)


def downgrade() -> None:
    for table in (*NEW_LEDGER_TABLES, *(t[0] for t in PayoutsProjection().tables())):
        op.execute(f"DROP TABLE {table}")
