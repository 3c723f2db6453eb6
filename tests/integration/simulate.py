"""`make simulate SEEDS=N`: run the money simulation for many seeds; shrink the first failure.

    .venv/bin/python -m tests.integration.simulate --seeds 50 [--first 1000] [--steps 80] [--unguarded]

Each seed runs on a throw-away PostgreSQL database (BOXOFFICE_TEST_POSTGRES_URL,
as the tests). A failing seed prints the seed, what broke, and the shortest
list of steps found that still breaks it (`--shrink-seconds`), then exits 1.
`--unguarded` plants the double payout (the payout guard off) to watch it caught.
"""

from __future__ import annotations

import argparse
import sys
import time

from tests.integration.money_sim import plan, run_plan, shrink


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="simulate", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first", type=int, default=1, help="the first seed")
    parser.add_argument("--steps", type=int, default=60, help="steps per seed")
    parser.add_argument("--unguarded", action="store_true", help="switch the payout guard off (planted bug)")
    parser.add_argument("--shrink-seconds", type=float, default=300.0)
    args = parser.parse_args(argv)
    guarded = not args.unguarded
    for seed in range(args.first, args.first + args.seeds):
        started = time.monotonic()
        outcome = run_plan(seed, plan(seed, args.steps), guarded=guarded)
        print(f"seed {seed}: {'ok' if outcome.ok else 'FAILED'} ({time.monotonic() - started:.1f} s) {outcome.stats} {outcome.timing}",
              flush=True)
        if not outcome.ok:
            print(outcome.report(), flush=True)
            shortest = shrink(outcome, guarded=guarded, budget=args.shrink_seconds)
            print(f"\nshortest failing plan ({len(shortest.steps)} of {len(outcome.steps)} steps):", flush=True)
            print(shortest.report(), flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
