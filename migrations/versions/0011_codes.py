"""Codes: a guarded use counter per code (with a copy of its terms for the sale), and the code of each hold.

Revision ID: 0011
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE code_inventory ("
        " code_id VARCHAR(36) PRIMARY KEY,"
        " host_id TEXT NOT NULL,"
        " room_id VARCHAR(36),"
        " percent_off INTEGER,"
        " amount_off BIGINT,"
        " currency VARCHAR(3),"
        " max_uses INTEGER,"
        " used INTEGER NOT NULL,"
        " valid_from_us BIGINT,"
        " valid_until_us BIGINT,"
        " tier_ids TEXT NOT NULL,"
        " unlocks_tier_ids TEXT NOT NULL,"
        " CONSTRAINT code_inventory_uses CHECK (used >= 0 AND (max_uses IS NULL OR used <= max_uses)))"
    )
    op.execute("ALTER TABLE seat_holds ADD COLUMN code_id VARCHAR(36)")


def downgrade() -> None:
    with op.batch_alter_table("seat_holds") as batch:
        batch.drop_column("code_id")
    op.execute("DROP TABLE code_inventory")
