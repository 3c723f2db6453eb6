"""Refund policies and reschedules in the catalog: one row per room that set a policy or was moved.

Revision ID: 0012
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # projections/catalog.py, POLICIES_TABLE. No row: refund policy `none`, never moved (every room so far).
    op.execute("CREATE TABLE room_policies_view (room_id VARCHAR(36) PRIMARY KEY, refund_hours INTEGER,"
               " rescheduled_us BIGINT, refund_until_us BIGINT)")


def downgrade() -> None:
    op.execute("DROP TABLE room_policies_view")
