"""Benchmark 4: a payout run for 10,000 creators with balances, against the Stripe stand-in.

Seeds (not timed) 10,000 creators (quick: 1,000), each with an enabled Express
account at the stand-in and one ended room with a paid ticket, so each is owed
97.00. Then times one `PayoutRunner.run`: release the rooms' earnings, schedule
a payout per creator, send every transfer (with idempotency keys) and record
them. Baseline: the stand-in's own round trip (one transfer retrieve) times
the number of creators, measured in the same run.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.managers import BaseManager
from datetime import timedelta
from typing import Any

from api.bootstrap import build_services
from api.settings import Settings
from bench.common import table, throwaway_database, write
from domain.creators.model import Creator
from domain.money import Money
from domain.policies import CommissionPolicy
from domain.rooms.model import Room
from domain.sales.model import Ticket
from payouts.stripe_gateway import StripeGateway
from tests.stripe_standin import StripeStandIn


class RemoteStandIn(StripeStandIn):
    """The stand-in in its own process (Stripe is remote; it must not share our GIL)."""

    def launch(self) -> str:
        self.start()
        return self.url


class StandInProcess(BaseManager):
    pass


StandInProcess.register("StandIn", RemoteStandIn, exposed=("launch", "stop", "set_account_status", "objects"))


def seed(services: Any, standin: Any, creators: int) -> None:
    app = services.app
    now = app.clock.now() - timedelta(days=30)
    policy = CommissionPolicy()
    users = [f"payee-{i}" for i in range(creators)]
    for start in range(0, creators, 1000):
        app.uow.save(*[Creator(user_id=u, display_name=u, follower_count=1000, registered_at=now)
                       for u in users[start:start + 1000]])
    with ThreadPoolExecutor(16) as pool:
        accounts = list(pool.map(lambda u: app.open_payout_account(u)[0].payout_account_id, users))
    for account in accounts:
        standin.set_account_status(account, charges_enabled=True, payouts_enabled=True, currently_due=[])
    for start in range(0, creators, 500):
        batch = []
        for user, account in zip(users[start:start + 500], accounts[start:start + 500], strict=True):
            creator = app.get_creator(user)
            creator.update_payout_account("enabled")
            room = Room.open(id=uuid.uuid4(), host_id=user, title="bench", scheduled_start=now,
                             price_amount=10_000, price_currency="USD", capacity=10, sales_end=None, opened_at=now,
                             default_tier=True)
            room.start(now)
            room.end(now + timedelta(hours=1))
            ticket = Ticket.reserve(id=uuid.uuid4(), room_id=room.id, host_id=user,
                                    holder_id=f"fan-of-{user}", price_amount=10_000, price_currency="USD",
                                    reserved_at=now, hold_expires_at=now, idempotency_key=None,
                                    tier_id=room.id, list_amount=10_000, discount_amount=0, code=None)
            ticket.pay(split=policy.split(room.price, 0), fee=Money(320, room.price.currency), provider="stripe", payment_id=f"pi_{ticket.id.hex}",
                       charge_id=None, balance_transaction_id=None, lifetime_before=0, at=now, seat_held=True)
            batch += [creator, room, ticket]
        chunk = accounts[start:start + 500]

        def decide(guards: Any, chunk: list[str] = chunk, batch: list[Any] = batch) -> tuple[None, list[Any]]:
            for account in sorted(chunk):  # as account.updated would; in the lock order (domain/guards.py)
                guards.set_account_status(account, "enabled")
            return None, batch

        app.uow.transact(decide)
    services.projector.catch_up()


def run(full: bool = False) -> dict[str, Any]:
    creators = 10_000 if full else 1_000
    with throwaway_database() as url, StandInProcess() as manager:
        standin = manager.StandIn()  # type: ignore[attr-defined]
        gateway = StripeGateway("sk_test_bench", api_base=standin.launch(), max_network_retries=2)
        settings = Settings(database_url=url, log_level="WARNING", refund_window_days=7, payout_workers=16,
                            stripe_secret_key="sk_test_bench", stripe_webhook_secret="whsec_bench")
        services = build_services(settings, gateway=gateway)
        started = time.perf_counter()
        seed(services, standin, creators)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        report = services.payouts.run(requested_by="bench")
        elapsed = time.perf_counter() - started
        transfers = len(standin.objects("transfer"))
        probe = report.payouts[0]["transfer_id"] if report.payouts else None
        t0 = time.perf_counter()
        for _ in range(200):
            gateway._v1.transfers.retrieve(probe)
        round_trip = (time.perf_counter() - t0) / 200
        again = services.payouts.run(requested_by="bench")
        services.close()
        standin.stop()
    result = {
        "mode": "full" if full else "quick", "creators": creators, "seed_seconds": round(seeded, 1),
        "run_seconds": round(elapsed, 2), "payouts": len(report.payouts), "transfers_at_standin": transfers,
        "skipped": len(report.skipped), "errors": len(report.errors), "released_rooms": len(report.released_rooms),
        "second_run_payouts": len(again.payouts),
        "baseline_standin_round_trip_ms": round(round_trip * 1000, 2),
        "ratio_run_to_serial_round_trips": round(elapsed / (round_trip * creators), 2) if round_trip else None,
        "goals": {"10,000 creators paid within 30 s": elapsed * (10_000 / creators) <= 30,
                  "one transfer per creator": transfers == creators, "second run pays nobody": not again.payouts},
    }
    write("payout_run", result)
    print(table("Payout run", [(k, v) for k, v in result.items()]))
    return result


if __name__ == "__main__":
    import sys

    run(full="--full" in sys.argv)
