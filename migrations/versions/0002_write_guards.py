"""Write guards: seat inventory, seat holds, lifetime revenue, processed keys, payout accounts.

Written only in the transactions that append events (see domain/guards.py).

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seat_inventory",
        sa.Column("room_id", sa.String(36), primary_key=True),
        sa.Column("host_id", sa.Text, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("taken", sa.Integer, nullable=False),
        sa.Column("price_amount", sa.BigInteger, nullable=False),
        sa.Column("price_currency", sa.String(3), nullable=False),
        sa.Column("on_sale", sa.Boolean, nullable=False),
        sa.Column("sales_end_us", sa.BigInteger, nullable=True),
        sa.CheckConstraint("taken >= 0 AND taken <= capacity", name="seat_inventory_cap"),
    )
    op.create_table(
        "seat_holds",
        sa.Column("ticket_id", sa.String(36), primary_key=True),
        sa.Column("room_id", sa.String(36), nullable=False),
        sa.Column("holder_id", sa.Text, nullable=False),
        sa.Column("live", sa.Boolean, nullable=False),
        sa.Column("paid", sa.Boolean, nullable=False),
        sa.Column("hold_expires_us", sa.BigInteger, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "seat_holds_one_live_ticket", "seat_holds", ["room_id", "holder_id"], unique=True,
        sqlite_where=sa.text("live"), postgresql_where=sa.text("live"),
    )
    op.create_index(
        "seat_holds_expiry", "seat_holds", ["hold_expires_us"],
        sqlite_where=sa.text("live AND NOT paid"), postgresql_where=sa.text("live AND NOT paid"),
    )
    op.create_index("seat_holds_room", "seat_holds", ["room_id", "created_us"])
    op.create_table(
        "creator_revenue",
        sa.Column("creator_id", sa.Text, primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("lifetime", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "processed_keys",
        sa.Column("key", sa.Text, primary_key=True),
    )
    op.create_table(
        "payout_accounts",
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False, unique=True),
    )


def downgrade() -> None:
    for table in ("payout_accounts", "processed_keys", "creator_revenue", "seat_holds", "seat_inventory"):
        op.drop_table(table)
