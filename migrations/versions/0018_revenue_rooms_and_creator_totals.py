"""Lifetime revenue per room, and per creator with what their payouts moved, so earnings never read history.

The ledger projection now keeps, in the same batch transaction as its postings
(projections/revenue_rollups.py): `revenue_rooms` (per room and currency, the
amounts of `revenue_days` since the room opened) and `creator_totals` (per
creator and currency, the same amounts plus paid out, in transit and the count
of their payout postings on in_transit or cash). A creator's earnings read
their two accounts' balances and these rows only. An existing ledger is
backfilled here from its revenue facts and payout entries, so the tables agree
with the log's position already recorded for the projection.

The DDL is frozen here as literal SQL (valid on PostgreSQL and SQLite); the
projection's own DDL (`LedgerProjection.tables()`) must say the same.

Revision ID: 0018
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

PAYOUT_KINDS = "('payout_scheduled', 'payout_paid', 'payout_failed', 'payout_reversed', 'payout_cancelled')"
AMOUNTS = "tickets, gross, refunds, fees, commission, creator_share"
SUMS = "SUM(tickets), SUM(gross), SUM(refunds), SUM(fees), SUM(commission), SUM(creator_share)"

CREATE = [
    "CREATE TABLE revenue_rooms (room_id VARCHAR(36) NOT NULL, currency VARCHAR(3) NOT NULL,"
    " creator_id TEXT NOT NULL, tickets BIGINT NOT NULL, gross BIGINT NOT NULL, refunds BIGINT NOT NULL,"
    " fees BIGINT NOT NULL, commission BIGINT NOT NULL, creator_share BIGINT NOT NULL,"
    " PRIMARY KEY (room_id, currency))",
    "CREATE INDEX revenue_rooms_by_creator ON revenue_rooms (creator_id)",
    "CREATE TABLE creator_totals (creator_id TEXT NOT NULL, currency VARCHAR(3) NOT NULL,"
    " tickets BIGINT NOT NULL, gross BIGINT NOT NULL, refunds BIGINT NOT NULL, fees BIGINT NOT NULL,"
    " commission BIGINT NOT NULL, creator_share BIGINT NOT NULL, paid BIGINT NOT NULL, in_transit BIGINT NOT NULL,"
    " payout_postings BIGINT NOT NULL, PRIMARY KEY (creator_id, currency))",
]

# projections/ledger.py, _post, as it stands at this revision: a payout entry's postings on in_transit and cash.
PAID = ("CASE WHEN p.account = 'platform:payouts_in_transit' AND e.kind = 'payout_paid' THEN p.amount"
        " WHEN p.account = 'platform:cash' AND e.kind IN ('payout_failed', 'payout_reversed') THEN -p.amount ELSE 0 END")
IN_TRANSIT = "CASE WHEN p.account = 'platform:payouts_in_transit' THEN -p.amount ELSE 0 END"

BACKFILL = [
    f"INSERT INTO revenue_rooms (room_id, currency, creator_id, {AMOUNTS}) SELECT room_id, currency,"
    f" MIN(creator_id), {SUMS} FROM revenue_facts GROUP BY room_id, currency",
    # Grouped by room first, as the projection adds them (a room's creator is its first fact's).
    f"INSERT INTO creator_totals (creator_id, currency, {AMOUNTS}, paid, in_transit, payout_postings)"
    f" SELECT creator_id, currency, {SUMS}, 0, 0, 0 FROM revenue_rooms GROUP BY creator_id, currency",
    f"INSERT INTO creator_totals (creator_id, currency, {AMOUNTS}, paid, in_transit, payout_postings)"
    f" SELECT e.creator_id, p.currency, 0, 0, 0, 0, 0, 0, SUM({PAID}), SUM({IN_TRANSIT}), COUNT(*)"
    " FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.entry_id"
    f" WHERE e.kind IN {PAYOUT_KINDS} AND e.creator_id IS NOT NULL"
    " AND p.account IN ('platform:payouts_in_transit', 'platform:cash') GROUP BY e.creator_id, p.currency"
    " ON CONFLICT (creator_id, currency) DO UPDATE SET paid = excluded.paid, in_transit = excluded.in_transit,"
    " payout_postings = excluded.payout_postings",
]


def upgrade() -> None:
    for statement in (*CREATE, *BACKFILL):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE creator_totals")
    op.execute("DROP INDEX IF EXISTS revenue_rooms_by_creator")
    op.execute("DROP TABLE revenue_rooms")
