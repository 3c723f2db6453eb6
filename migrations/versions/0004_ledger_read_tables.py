"""The revenue ledger's read tables: entries, postings, revenue facts, room release state.

Revision ID: 0004
"""

from alembic import op

from projections.ledger import LedgerProjection

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for _, create, indexes in LedgerProjection().tables():
        op.execute(create)
        for index in indexes:
            op.execute(index)


def downgrade() -> None:
    for table, _, _ in LedgerProjection().tables():
        op.execute(f"DROP TABLE {table}")
