"""Admission signing keys (one shared row) and the check-in log read table.

Revision ID: 0005
"""

from alembic import op

from projections.attendance import AttendanceProjection

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE admission_keyring (id INTEGER PRIMARY KEY, records TEXT NOT NULL, version INTEGER NOT NULL)")
    for _, create, indexes in AttendanceProjection().tables():
        op.execute(create)
        for index in indexes:
            op.execute(index)


def downgrade() -> None:
    for table, _, _ in AttendanceProjection().tables():
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP TABLE admission_keyring")
