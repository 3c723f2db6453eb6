"""Ticket tiers: a guarded counter per tier beside the room's, and the tier of each hold.

Every room opened before tiers gets its default tier, whose id is the room's own
id (the same rule `Room.Opened` v1's upcaster follows), with the room's price,
capacity and live count; every hold of such a room belongs to that tier.

Revision ID: 0010
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE tier_inventory ("
        " tier_id VARCHAR(36) PRIMARY KEY,"
        " room_id VARCHAR(36) NOT NULL,"
        " capacity INTEGER NOT NULL,"
        " taken INTEGER NOT NULL,"
        " price_amount BIGINT NOT NULL,"
        " price_currency VARCHAR(3) NOT NULL,"
        " sales_start_us BIGINT,"
        " sales_end_us BIGINT,"
        " hidden BOOLEAN NOT NULL,"
        " closed BOOLEAN NOT NULL,"
        " minimum_amount BIGINT,"
        " CONSTRAINT tier_inventory_cap CHECK (taken >= 0 AND taken <= capacity))"
    )
    op.execute("CREATE INDEX tier_inventory_room ON tier_inventory (room_id, tier_id)")
    op.execute("ALTER TABLE seat_holds ADD COLUMN tier_id VARCHAR(36)")
    op.execute(
        "INSERT INTO tier_inventory (tier_id, room_id, capacity, taken, price_amount, price_currency,"
        " sales_start_us, sales_end_us, hidden, closed, minimum_amount)"
        " SELECT room_id, room_id, capacity, taken, price_amount, price_currency, NULL, NULL, FALSE, FALSE, NULL"
        " FROM seat_inventory"
    )
    op.execute("UPDATE seat_holds SET tier_id = room_id")
    # The catalog's tiers (projections/catalog.py, TIERS_TABLE): the default tier of every room so far,
    # listed first (added_position 0), as a rebuild from the events makes it.
    op.execute(
        "CREATE TABLE room_tiers_view (tier_id VARCHAR(36) PRIMARY KEY, room_id VARCHAR(36) NOT NULL,"
        " name TEXT NOT NULL, price_amount BIGINT NOT NULL, price_currency VARCHAR(3) NOT NULL,"
        " capacity INTEGER NOT NULL, sales_start_us BIGINT, sales_end_us BIGINT, hidden BOOLEAN NOT NULL,"
        " closed BOOLEAN NOT NULL, minimum_amount BIGINT, suggested_amount BIGINT, added_position BIGINT NOT NULL)"
    )
    op.execute("CREATE INDEX room_tiers_view_by_room ON room_tiers_view (room_id, added_position)")
    op.execute(
        "INSERT INTO room_tiers_view (tier_id, room_id, name, price_amount, price_currency, capacity, sales_start_us,"
        " sales_end_us, hidden, closed, minimum_amount, suggested_amount, added_position)"
        " SELECT room_id, room_id, 'General admission', price_amount, price_currency, capacity, NULL, NULL, FALSE,"
        " FALSE, NULL, NULL, 0 FROM rooms_view"
    )


def downgrade() -> None:
    with op.batch_alter_table("seat_holds") as batch:
        batch.drop_column("tier_id")
    op.execute("DROP TABLE room_tiers_view")
    op.execute("DROP TABLE tier_inventory")
