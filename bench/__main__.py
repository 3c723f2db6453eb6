"""`make bench` (quick, at most ~5 minutes) or `make bench FULL=1` (the sizes in bench/RESULTS.md).

`--driver python|wrk|both` (default both; `make bench DRIVER=python`) picks the load driver of the
HTTP sales (flash_sale, many_rooms): bench/loadgen.py, wrk (bench/wrk_driver.py), or each in turn.

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


DRIVEN = {"flash_sale", "many_rooms"}  # the benchmarks that take a load driver
DRIVERS = ("python", "wrk", "both")


def _driver(argv: list[str]) -> tuple[str, list[str]]:
    """The --driver value (`--driver X` or `--driver=X`) and the arguments without it."""
    rest, driver, i = [], "both", 0
    while i < len(argv):
        if argv[i] == "--driver" and i + 1 < len(argv):
            driver, i = argv[i + 1], i + 2
            continue
        if argv[i].startswith("--driver="):
            driver = argv[i].split("=", 1)[1]
        else:
            rest.append(argv[i])
        i += 1
    if driver not in DRIVERS:
        raise SystemExit(f"--driver must be one of {', '.join(DRIVERS)}, not {driver!r}")
    return driver, rest


def main(argv: list[str]) -> int:
    driver, argv = _driver(argv)
    full = "--full" in argv
    chosen = [a for a in argv if not a.startswith("--")] or list(BENCHMARKS)
    summary, seconds = {}, {}
    started = time.perf_counter()
    for name in chosen:
        print(f"\n=== {name} ({'full' if full else 'quick'}) ===", flush=True)
        t0 = time.perf_counter()
        result = BENCHMARKS[name](full=full, driver=driver) if name in DRIVEN else BENCHMARKS[name](full=full)
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
