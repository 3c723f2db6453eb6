"""Gifts and transfers in the catalog: each ticket's tier, and one row per transfer (the old holder's revocation).

Revision ID: 0014

Tickets projected before this revision have no `tier_id` (null) until the catalog is rebuilt
(`boxoffice project rebuild catalog`); every ticket projected from now on has it.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE tickets_view ADD COLUMN tier_id VARCHAR(36)")
    # projections/catalog.py, TRANSFERS_TABLE and TRANSFERS_INDEX.
    op.execute("CREATE TABLE ticket_transfers_view (ticket_id VARCHAR(36) NOT NULL, transfer_no INTEGER NOT NULL,"
               " room_id VARCHAR(36) NOT NULL, from_holder_id TEXT NOT NULL, to_holder_id TEXT NOT NULL,"
               " at_us BIGINT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (ticket_id, transfer_no))")
    op.execute("CREATE INDEX ticket_transfers_view_by_room ON ticket_transfers_view (room_id, position)")


def downgrade() -> None:
    op.execute("DROP TABLE ticket_transfers_view")
    with op.batch_alter_table("tickets_view") as batch:
        batch.drop_column("tier_id")
