"""Kept balances, their daily history and daily revenue rollups; ledger indexes for keyset reads.

The ledger projection now keeps `ledger_balances` (one row per account and
currency), `ledger_balance_hours` (each account's balance at the end of every
UTC hour it moved), `ledger_movement_days` (per account, day and kind of movement) and `revenue_days` (per room, currency and UTC day) in the same
batch transaction as its postings (projections/ledger_balances.py,
projections/revenue_rollups.py). An existing ledger is backfilled here from
its postings and facts, so the tables agree with the log's position already
recorded for the projection. Postings get an index on (account, position,
entry_id) for an account's entries by keyset (replacing (account,
occurred_us)) and one on occurred_us for a day's or a period's postings;
entries get one on (position, entry_id) for paging and a partial one on a
creator's payout entries.

The DDL is frozen here as literal SQL (valid on PostgreSQL and SQLite); the
projection's own DDL (`LedgerProjection.tables()`) must say the same.

Revision ID: 0009
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

HOUR_US = "3600000000"
DAY_US = "86400000000"
PAYOUT_KINDS = "('payout_scheduled', 'payout_paid', 'payout_failed', 'payout_reversed', 'payout_cancelled')"

CREATE = [
    "CREATE TABLE ledger_balances (account TEXT NOT NULL, currency VARCHAR(3) NOT NULL, balance BIGINT NOT NULL,"
    " debits BIGINT NOT NULL, credits BIGINT NOT NULL, postings BIGINT NOT NULL, position BIGINT NOT NULL,"
    " last_hour INTEGER NOT NULL, PRIMARY KEY (account, currency))",
    "CREATE TABLE ledger_balance_hours (account TEXT NOT NULL, currency VARCHAR(3) NOT NULL, hour INTEGER NOT NULL,"
    " balance BIGINT NOT NULL, debits BIGINT NOT NULL, credits BIGINT NOT NULL, postings BIGINT NOT NULL,"
    " PRIMARY KEY (account, currency, hour))",
    "CREATE TABLE ledger_movement_days (account TEXT NOT NULL, currency VARCHAR(3) NOT NULL, day INTEGER NOT NULL,"
    " movement VARCHAR(16) NOT NULL, amount BIGINT NOT NULL, postings BIGINT NOT NULL,"
    " PRIMARY KEY (account, currency, day, movement))",
    "CREATE INDEX ledger_movement_days_by_day ON ledger_movement_days (day)",
    "CREATE TABLE revenue_days (room_id VARCHAR(36) NOT NULL, currency VARCHAR(3) NOT NULL, day INTEGER NOT NULL,"
    " creator_id TEXT NOT NULL, tickets BIGINT NOT NULL, gross BIGINT NOT NULL, refunds BIGINT NOT NULL,"
    " fees BIGINT NOT NULL, commission BIGINT NOT NULL, creator_share BIGINT NOT NULL,"
    " PRIMARY KEY (room_id, currency, day))",
    "CREATE INDEX revenue_days_by_day ON revenue_days (day)",
    "CREATE INDEX revenue_days_by_creator ON revenue_days (creator_id, day)",
]

INDEXES = [
    "DROP INDEX IF EXISTS ledger_postings_by_account",
    "CREATE INDEX ledger_postings_by_account ON ledger_postings (account, position, entry_id)",
    "CREATE INDEX IF NOT EXISTS ledger_postings_by_time ON ledger_postings (occurred_us)",
    "CREATE INDEX IF NOT EXISTS ledger_entries_by_position ON ledger_entries (position, entry_id)",
    f"CREATE INDEX IF NOT EXISTS ledger_entries_payouts ON ledger_entries (creator_id) WHERE kind IN {PAYOUT_KINDS}",
]

# projections/ledger_movements.py, movement_of, as it stood at this revision.
MOVEMENT = (
    "CASE WHEN e.kind IN ('sale', 'sale_settlement') AND (p.account = 'platform:processor_fees'"
    " OR (p.account = 'platform:cash' AND p.amount < 0)) THEN 'fees'"
    " WHEN e.kind = 'sale_settlement' THEN 'fx' WHEN e.kind = 'sale' THEN 'sales'"
    " WHEN e.kind IN ('refund', 'refund_paid') THEN 'refunds'"
    " WHEN e.kind IN ('dispute_opened', 'dispute_won', 'dispute_lost') THEN 'disputes'"
    " WHEN e.kind = 'earnings_released' THEN 'releases'"
    " WHEN e.kind IN ('payout_scheduled', 'payout_paid', 'payout_cancelled') THEN 'payouts'"
    " WHEN e.kind IN ('payout_failed', 'payout_reversed') THEN 'reversals'"
    " WHEN replace(e.kind, 'fx', '') <> e.kind THEN 'fx' ELSE 'other' END"
)
DEBIT = "CASE WHEN amount > 0 THEN amount ELSE 0 END"
CREDIT = "CASE WHEN amount < 0 THEN -amount ELSE 0 END"

BACKFILL = [
    "INSERT INTO ledger_balances (account, currency, balance, debits, credits, postings, position, last_hour)"
    f" SELECT account, currency, SUM(amount), SUM({DEBIT}), SUM({CREDIT}), COUNT(*), MAX(position),"
    f" MAX(occurred_us / {HOUR_US}) FROM ledger_postings GROUP BY account, currency",
    "INSERT INTO ledger_balance_hours (account, currency, hour, balance, debits, credits, postings)"
    " SELECT account, currency, hour, SUM(b) OVER w, SUM(d) OVER w, SUM(c) OVER w, SUM(n) OVER w FROM"
    f" (SELECT account, currency, occurred_us / {HOUR_US} AS hour, SUM(amount) AS b, SUM({DEBIT}) AS d,"
    f" SUM({CREDIT}) AS c, COUNT(*) AS n FROM ledger_postings GROUP BY account, currency, occurred_us / {HOUR_US}) g"
    " WINDOW w AS (PARTITION BY account, currency ORDER BY hour)",
    "INSERT INTO ledger_movement_days (account, currency, day, movement, amount, postings)"
    f" SELECT account, currency, day, movement, SUM(amount), COUNT(*) FROM (SELECT p.account, p.currency,"
    f" p.occurred_us / {DAY_US} AS day, {MOVEMENT} AS movement, p.amount FROM ledger_postings p"
    " JOIN ledger_entries e ON e.entry_id = p.entry_id) m GROUP BY account, currency, day, movement",
    "INSERT INTO revenue_days (room_id, currency, day, creator_id, tickets, gross, refunds, fees, commission,"
    f" creator_share) SELECT room_id, currency, occurred_us / {DAY_US}, MIN(creator_id), SUM(tickets), SUM(gross),"
    " SUM(refunds), SUM(fees), SUM(commission), SUM(creator_share) FROM revenue_facts"
    f" GROUP BY room_id, currency, occurred_us / {DAY_US}",
]


def upgrade() -> None:
    for statement in (*CREATE, *INDEXES, *BACKFILL):
        op.execute(statement)


def downgrade() -> None:
    for statement in (
        "DROP INDEX IF EXISTS ledger_entries_payouts",
        "DROP INDEX IF EXISTS ledger_entries_by_position",
        "DROP INDEX IF EXISTS ledger_postings_by_time",
        "DROP INDEX IF EXISTS ledger_postings_by_account",
        "CREATE INDEX ledger_postings_by_account ON ledger_postings (account, occurred_us)",
        "DROP TABLE revenue_days",
        "DROP TABLE ledger_movement_days",
        "DROP TABLE ledger_balance_hours",
        "DROP TABLE ledger_balances",
    ):
        op.execute(statement)
