"""Stripe pacing: a shared token bucket per limit, and the queue of seats waiting for their PaymentIntent.

Literal SQL, frozen here (never imported from application code). Operational
state, not business state: the ticket's own events still say what happened
(`Ticket.Reserved`, `PaymentStarted`, `Paid`); these rows only say how fast
all API processes together may call Stripe, and which held seats still wait
for a PaymentIntent (with its client secret, kept while the seat is held).

Revision ID: 0013
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = (
    # tokens_u, burst_u: micro-tokens; rate_milli: tokens per 1,000 s; updated_us: the database's clock.
    "CREATE TABLE rate_buckets (name VARCHAR(64) PRIMARY KEY, tokens_u BIGINT NOT NULL, burst_u BIGINT NOT NULL,"
    " rate_milli BIGINT NOT NULL, updated_us BIGINT NOT NULL)",
    "CREATE TABLE payment_queue (ticket_id VARCHAR(36) PRIMARY KEY, reserved_us BIGINT NOT NULL,"
    " status VARCHAR(16) NOT NULL, payment_method TEXT, claimed_us BIGINT, attempts INTEGER NOT NULL,"
    " payment_id TEXT, client_secret TEXT, last_error TEXT)",
    "CREATE INDEX payment_queue_order ON payment_queue (status, reserved_us, ticket_id)",
)


def upgrade() -> None:
    for statement in TABLES:
        op.execute(statement)


def downgrade() -> None:
    for table in ("payment_queue", "rate_buckets"):
        op.execute(f"DROP TABLE {table}")
