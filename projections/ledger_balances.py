"""Balances kept beside the postings, and their history by hour, so finance never re-sums the ledger.

Summing every posting made each balance read cost O(history): 5.6 s for the
trial balance at 1M events. Instead the ledger projection keeps, in the same
batch transaction as the postings (so exactly once, and rebuilt with them):

- `ledger_balances`: one row per account and currency with its balance,
  debits, credits, postings count, the log position of its last posting and
  the last hour it moved (anchors: TigerBeetle's `debits_posted` and
  `credits_posted`, pgledger's balances beside its accounts).
- `ledger_balance_hours`: the same four figures as they stood at the END of
  each UTC hour the account moved (cumulative, not the hour's change). A
  balance as of any moment is the latest such row before that moment's hour
  plus the postings of that partial hour (projections/queries/balances.py):
  O(accounts), never O(history). Why hours, not hours: the partial period is
  read from postings, and a busy platform posts a million a hour; an hour
  keeps that edge small. Cost: at most one row per account, currency and hour
  with activity: 8,760 a year for an account that moves every hour (the
  platform's), one per active hour for a creator (a creator selling in 200
  distinct hours a year has 200 rows per account).

A batch writes each account once (its net change), and each account-hour once,
never once per posting. Postings arrive in log order and their times almost
always move forward; a posting dated before the account's last recorded hour
(clocks of several processes disagreeing by a moment around the hour, or a
time taken from the processor) takes the slow path: its hour is inserted or
updated and every later hour of that account moves by the same amount, so
history stays exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from store.db import Tx
from projections.rows import ROWS, RowCache, Rows

HOUR_US = 3_600_000_000  # one hour in microseconds (time codes are µs since the epoch, UTC)
DAY_US = 24 * HOUR_US
FIGURES = ("balance", "debits", "credits", "postings")
BALANCE_COLUMNS = ("account", "currency", *FIGURES, "position", "last_hour")
HOUR_COLUMNS = ("account", "currency", "hour", *FIGURES)


def ddl(s: str) -> list[tuple[str, str, list[str]]]:
    b, d = f"ledger_balances{s}", f"ledger_balance_hours{s}"
    return [
        (b, f"CREATE TABLE {b} (account TEXT NOT NULL, currency VARCHAR(3) NOT NULL, balance BIGINT NOT NULL,"
            " debits BIGINT NOT NULL, credits BIGINT NOT NULL, postings BIGINT NOT NULL, position BIGINT NOT NULL,"
            " last_hour INTEGER NOT NULL, PRIMARY KEY (account, currency))", []),
        (d, f"CREATE TABLE {d} (account TEXT NOT NULL, currency VARCHAR(3) NOT NULL, hour INTEGER NOT NULL,"
            " balance BIGINT NOT NULL, debits BIGINT NOT NULL, credits BIGINT NOT NULL, postings BIGINT NOT NULL,"
            " PRIMARY KEY (account, currency, hour))", []),
    ]


class BalanceBook:
    """What one batch's postings change in the balances and their hourly history."""

    def __init__(self, s: str, sql: Rows | None = None) -> None:
        """`sql`: the engine's `Rows` (projections/rows.py); by default, the transaction's."""
        self.s = s
        self.sql = sql

    def apply(self, tx: Tx, postings: Sequence[tuple[Any, ...]]) -> None:
        """Fold postings (entry_id, line, account, currency, amount, occurred_us, position) into the books."""
        if not postings:
            return
        sql = self.sql or ROWS[tx.dialect]
        self.balances = RowCache(sql, f"ledger_balances{self.s}", ("account", "currency"), BALANCE_COLUMNS)
        # (account, currency) -> hour -> [balance, debits, credits, postings, last position]
        moves: dict[tuple[str, str], dict[int, list[int]]] = {}
        for _, _, account, currency, amount, occurred, position in postings:
            hours = moves.get((account, currency))
            if hours is None:
                hours = moves[(account, currency)] = {}
            hour = occurred // HOUR_US
            m = hours.get(hour)
            if m is None:
                m = hours[hour] = [0, 0, 0, 0, 0]
            m[0] += amount
            if amount > 0:
                m[1] += amount
            else:
                m[2] -= amount
            m[3] += 1
            if position > m[4]:
                m[4] = position
        for row in sql.select(tx, self.balances.table, BALANCE_COLUMNS, ("account",),
                              [(account,) for account in sorted({account for account, _ in moves})]):
            self.balances.rows[(row["account"], row["currency"])] = dict(row)
        new_hours: list[tuple[Any, ...]] = []
        changed_hours: list[tuple[Any, ...]] = []
        late: list[tuple[str, str, int, list[int]]] = []
        for key in sorted(moves):
            hours = moves[key]
            row = self.balances.get(key)
            if row is None:
                row = self.balances.insert({"account": key[0], "currency": key[1], "balance": 0, "debits": 0,
                                            "credits": 0, "postings": 0, "position": 0, "last_hour": -1})
            else:
                self.balances.touch(key)
            last_hour = row["last_hour"]
            ordered = sorted(hours)
            if ordered[0] < last_hour:  # the slow path, rare: history after that hour moves too
                late += [(key[0], key[1], hour, hours[hour]) for hour in ordered]
            else:
                running = [row[f] for f in FIGURES]
                for hour in ordered:
                    running = [running[i] + hours[hour][i] for i in range(4)]
                    (changed_hours if hour == last_hour else new_hours).append((*key, hour, *running))
            for hour in ordered:
                m = hours[hour]
                for i, f in enumerate(FIGURES):
                    row[f] += m[i]
                row["position"] = max(row["position"], m[4])
            row["last_hour"] = max(last_hour, ordered[-1])
        self.balances.flush(tx)
        sql.insert(tx, f"ledger_balance_hours{self.s}", HOUR_COLUMNS, new_hours)
        sql.update(tx, f"ledger_balance_hours{self.s}", FIGURES, ("account", "currency", "hour"),
                   [(*r[3:], *r[:3]) for r in changed_hours])
        for account, currency, hour, m in late:
            self._move_history(tx, account, currency, hour, m)

    def _move_history(self, tx: Tx, account: str, currency: str, hour: int, m: list[int]) -> None:
        """Add one hour's change to an account's history where later hours already exist."""
        t = f"ledger_balance_hours{self.s}"
        key = (account, currency)
        if tx.one(f"SELECT hour FROM {t} WHERE account = %s AND currency = %s AND hour = %s", (*key, hour)) is None:
            before = tx.one(f"SELECT balance, debits, credits, postings FROM {t} WHERE account = %s AND currency = %s"
                            " AND hour < %s ORDER BY hour DESC LIMIT 1", (*key, hour))
            base = [int(before[f]) for f in FIGURES] if before else [0, 0, 0, 0]
            tx.execute(f"INSERT INTO {t} ({', '.join(HOUR_COLUMNS)}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                       (*key, hour, *(base[i] + m[i] for i in range(4))))
            after = ">"
        else:
            after = ">="
        tx.execute(f"UPDATE {t} SET balance = balance + %s, debits = debits + %s, credits = credits + %s,"
                   f" postings = postings + %s WHERE account = %s AND currency = %s AND hour {after} %s",
                   (*m[:4], *key, hour))
