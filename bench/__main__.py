"""`make bench` (quick, at most ~5 minutes) or `make bench FULL=1` (the sizes in bench/RESULTS.md).

Each benchmark prints a table, writes bench/out/<name>.json, and compares with
a baseline measured in the same run on the same machine.
"""

from __future__ import annotations

import json
import os
import sys
import time

from bench import (admission, finance_reads, flash_sale, many_rooms, memory, payout_run, projection_catchup,
                   stripe_flash_sale)
from bench.common import OUT

BENCHMARKS = {
    "flash_sale": flash_sale.run,
    "many_rooms": many_rooms.run,
    "stripe_flash_sale": stripe_flash_sale.run,
    "admission": admission.run,
    "projection_catchup": projection_catchup.run,
    "payout_run": payout_run.run,
    "memory": memory.run,
    "finance_reads": finance_reads.run,
}


def main(argv: list[str]) -> int:
    full = "--full" in argv
    chosen = [a for a in argv if not a.startswith("--")] or list(BENCHMARKS)
    summary, seconds = {}, {}
    started = time.perf_counter()
    for name in chosen:
        print(f"\n=== {name} ({'full' if full else 'quick'}) ===", flush=True)
        t0 = time.perf_counter()
        result = BENCHMARKS[name](full=full)
        seconds[name] = round(time.perf_counter() - t0, 1)
        summary[name] = result.get("goals", {})
    OUT.mkdir(exist_ok=True)
    (OUT / "summary.json").write_text(json.dumps({**summary, "seconds": seconds}, indent=2))
    print(f"\nall benchmarks in {time.perf_counter() - started:.0f}s ("
          + ", ".join(f"{name} {s:.0f}s" for name, s in seconds.items()) + f"; load {os.getloadavg()}); goals:")
    for name, goals in summary.items():
        for goal, met in goals.items():
            print(f"  [{'met' if met else 'NOT MET'}] {name}: {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
