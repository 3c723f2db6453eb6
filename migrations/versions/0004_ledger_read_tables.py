"""The revenue ledger's read tables: entries, postings, revenue facts, room release state.

Literal SQL, frozen here (never imported from application code): what this
revision has created on a fresh database since 0009 landed. That includes the
keyset and time indexes 0009 added (0009 creates them only where they are
missing, and replaces the older (account, occurred_us) index of databases
migrated before it).

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PAYOUT_KINDS = "('payout_scheduled', 'payout_paid', 'payout_failed', 'payout_reversed', 'payout_cancelled')"

STATEMENTS = (
    "CREATE TABLE ledger_entries (entry_id VARCHAR(120) PRIMARY KEY, kind VARCHAR(32) NOT NULL,"
    " position BIGINT NOT NULL, occurred_us BIGINT NOT NULL, currency VARCHAR(3) NOT NULL, room_id VARCHAR(36),"
    " creator_id TEXT, ticket_id VARCHAR(36), reference TEXT, memo TEXT)",
    "CREATE INDEX ledger_entries_by_time ON ledger_entries (occurred_us, position)",
    "CREATE INDEX ledger_entries_by_position ON ledger_entries (position, entry_id)",
    f"CREATE INDEX ledger_entries_payouts ON ledger_entries (creator_id) WHERE kind IN {PAYOUT_KINDS}",
    "CREATE TABLE ledger_postings (entry_id VARCHAR(120) NOT NULL, line INTEGER NOT NULL, account TEXT NOT NULL,"
    " currency VARCHAR(3) NOT NULL, amount BIGINT NOT NULL, occurred_us BIGINT NOT NULL, position BIGINT NOT NULL,"
    " PRIMARY KEY (entry_id, line))",
    "CREATE INDEX ledger_postings_by_account ON ledger_postings (account, position, entry_id)",
    "CREATE INDEX ledger_postings_by_time ON ledger_postings (occurred_us)",
    "CREATE TABLE revenue_facts (fact_id VARCHAR(120) PRIMARY KEY, kind VARCHAR(16) NOT NULL,"
    " occurred_us BIGINT NOT NULL, room_id VARCHAR(36) NOT NULL, creator_id TEXT NOT NULL,"
    " currency VARCHAR(3) NOT NULL, tickets INTEGER NOT NULL, gross BIGINT NOT NULL, fees BIGINT NOT NULL,"
    " commission BIGINT NOT NULL, creator_share BIGINT NOT NULL, refunds BIGINT NOT NULL)",
    "CREATE INDEX revenue_facts_by_time ON revenue_facts (occurred_us)",
    "CREATE INDEX revenue_facts_by_creator ON revenue_facts (creator_id, occurred_us)",
    "CREATE TABLE ledger_rooms (room_id VARCHAR(36) PRIMARY KEY, creator_id TEXT NOT NULL, released BOOLEAN NOT NULL)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in ("ledger_rooms", "revenue_facts", "ledger_postings", "ledger_entries"):
        op.execute(f"DROP TABLE {table}")
