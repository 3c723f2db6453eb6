"""Revenue slices: a room's share of its creator's headroom below the commission threshold.

Literal SQL, frozen here (never imported from application code). A creator's
lifetime revenue (the 97/80 threshold's counter) was one row that every sale of
every room of the creator locked until commit, so a creator's rooms sold one
batch after another. Now a room may hold a slice of the creator's headroom
below the threshold (`quota`, of which `used` is sold) and sell within it under
its own row lock; the creator's row keeps `lifetime` (revenue not in a slice)
and `granted` (the quotas outstanding). The creator's lifetime revenue is
`lifetime` plus the slices' `used`. See store/revenue_guards_sql.py.

Revision ID: 0016
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

STATEMENTS = (
    "ALTER TABLE creator_revenue ADD COLUMN granted BIGINT NOT NULL DEFAULT 0",
    "CREATE TABLE revenue_slices (room_id TEXT NOT NULL, currency VARCHAR(3) NOT NULL, creator_id TEXT NOT NULL,"
    " quota BIGINT NOT NULL, used BIGINT NOT NULL, PRIMARY KEY (room_id, currency))",
    "CREATE INDEX revenue_slices_creator ON revenue_slices (creator_id, currency)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    # Fold every slice back into its creator's row first, so that no revenue is lost.
    op.execute("UPDATE creator_revenue SET lifetime = lifetime + (SELECT COALESCE(SUM(s.used), 0) FROM revenue_slices s"
               " WHERE s.creator_id = creator_revenue.creator_id AND s.currency = creator_revenue.currency)")
    op.execute("DROP TABLE revenue_slices")
    with op.batch_alter_table("creator_revenue") as batch:  # SQLite rebuilds the table to drop a column
        batch.drop_column("granted")
