"""Projection faults: a projection that cannot apply an event, where it stopped and why.

Literal SQL, frozen here (never imported from application code). One row per
failing projection (projections/faults.py): its position (it has applied the
log up to there), the event that fails and its stored topic, the error's class
and text, when it first and last failed there, and how many times. The
projector writes it beside `projection_positions` and deletes it in the
transaction that moves the projection past the event; `/readyz` and `/metrics`
read it in every process.

Revision ID: 0021
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TABLE = ("CREATE TABLE projection_faults (name VARCHAR(64) PRIMARY KEY, position BIGINT NOT NULL,"
         " event_position BIGINT NOT NULL, topic TEXT NOT NULL, error_class TEXT NOT NULL, error TEXT NOT NULL,"
         " first_failed_us BIGINT NOT NULL, last_failed_us BIGINT NOT NULL, attempts INTEGER NOT NULL)")


def upgrade() -> None:
    op.execute(TABLE)


def downgrade() -> None:
    op.execute("DROP TABLE projection_faults")
