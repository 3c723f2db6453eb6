"""Projection positions and the catalog read tables (rooms, cast, tickets).

The DDL is the projection's own (`CatalogProjection.tables()`), so a rebuild
creates exactly what this migration created. A later change to a read table
is a new migration plus the same change in the projection's DDL.

Revision ID: 0003
"""

from alembic import op

from projections.catalog import CatalogProjection

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
LATER = {"room_tiers_view", "room_policies_view"}  # created by 0010 and 0012


def upgrade() -> None:
    op.execute("CREATE TABLE projection_positions (name VARCHAR(64) PRIMARY KEY, position BIGINT NOT NULL)")
    for table, create, indexes in CatalogProjection().tables():
        if table in LATER:
            continue
        op.execute(create)
        for index in indexes:
            op.execute(index)


def downgrade() -> None:
    for table, _, _ in CatalogProjection().tables():
        if table not in LATER:
            op.execute(f"DROP TABLE {table}")
    op.execute("DROP TABLE projection_positions")
