"""The revenue ledger's read tables: entries, postings, revenue facts, room release state.

Revision ID: 0004
"""

from alembic import op

from projections.ledger import LedgerProjection

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


TABLES = ("ledger_entries", "ledger_postings", "revenue_facts", "ledger_rooms")


def upgrade() -> None:
    for table, create, indexes in LedgerProjection().tables():
        if table not in TABLES:
            continue
        op.execute(create)
        for index in indexes:
            op.execute(index)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE {table}")
