"""Integrations: reactor positions, LiveKit calls, outbound webhook endpoints, messages, deliveries.

Literal SQL, frozen here (never imported from application code). Every table is
written either by the projector (`webhook_endpoints`, with its position in
`projection_positions`) or by a reactor together with its position in
`reactor_positions`, in one transaction; the send loops only update rows.

Revision ID: 0008
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = (
    "CREATE TABLE reactor_positions (name VARCHAR(64) PRIMARY KEY, position BIGINT NOT NULL)",
    "CREATE TABLE livekit_calls (id VARCHAR(36) PRIMARY KEY, position BIGINT NOT NULL, kind VARCHAR(32) NOT NULL,"
    " room_id VARCHAR(36) NOT NULL, identity TEXT, reason TEXT NOT NULL, status VARCHAR(16) NOT NULL,"
    " attempts INTEGER NOT NULL, next_at_us BIGINT NOT NULL, last_error TEXT, created_us BIGINT NOT NULL,"
    " done_us BIGINT)",
    "CREATE INDEX livekit_calls_due ON livekit_calls (status, next_at_us)",
    "CREATE TABLE webhook_endpoints (id VARCHAR(36) PRIMARY KEY, url TEXT NOT NULL, description TEXT NOT NULL,"
    " events TEXT NOT NULL, enabled BOOLEAN NOT NULL, disabled_reason TEXT, secret TEXT NOT NULL,"
    " previous_secret TEXT, previous_valid_until_us BIGINT, created_by TEXT NOT NULL, created_us BIGINT NOT NULL,"
    " updated_us BIGINT NOT NULL, created_position BIGINT NOT NULL, deleted_position BIGINT)",
    "CREATE TABLE webhook_messages (id VARCHAR(40) PRIMARY KEY, position BIGINT NOT NULL UNIQUE,"
    " type VARCHAR(64) NOT NULL, order_key TEXT NOT NULL, created_us BIGINT NOT NULL, payload TEXT NOT NULL)",
    "CREATE TABLE webhook_deliveries (id VARCHAR(36) PRIMARY KEY, endpoint_id VARCHAR(36) NOT NULL,"
    " message_id VARCHAR(40) NOT NULL, position BIGINT NOT NULL, order_key TEXT NOT NULL,"
    " status VARCHAR(16) NOT NULL, attempts INTEGER NOT NULL, next_at_us BIGINT, last_status INTEGER,"
    " last_error TEXT, created_us BIGINT NOT NULL, delivered_us BIGINT, UNIQUE (endpoint_id, message_id))",
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at_us)",
    "CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, position)",
    "CREATE TABLE webhook_attempts (delivery_id VARCHAR(36) NOT NULL, n INTEGER NOT NULL, at_us BIGINT NOT NULL,"
    " status_code INTEGER, latency_ms INTEGER NOT NULL, error TEXT, PRIMARY KEY (delivery_id, n))",
    "CREATE TABLE webhook_endpoint_health (endpoint_id VARCHAR(36) PRIMARY KEY, failing_since_us BIGINT,"
    " last_success_us BIGINT)",
)


def upgrade() -> None:
    for statement in TABLES:
        op.execute(statement)


def downgrade() -> None:
    for table in ("webhook_endpoint_health", "webhook_attempts", "webhook_deliveries", "webhook_messages",
                  "webhook_endpoints", "livekit_calls", "reactor_positions"):
        op.execute(f"DROP TABLE {table}")
