"""The payout account's status beside its owner, kept in step with the creator's events.

Payout runs read which creators can be paid from here instead of loading every creator.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payout_accounts", sa.Column("status", sa.String(16), nullable=False, server_default="pending"))


def downgrade() -> None:
    with op.batch_alter_table("payout_accounts") as batch:
        batch.drop_column("status")
