"""CPU milliseconds per accepted sale, per process class, of one full flash sale (an A/B tool).

On a shared machine a sale's wall-clock rate swings with the other tenants; the CPU
each of the sale's processes spends per accepted sale swings far less. This runs
`bench/flash_sale.py` once with a sampler beside it that reads utime+stime from
/proc every 0.25 s for this benchmark's processes only (the descendants of this
process, and the PostgreSQL backends of the benchmark's database), and prints one
JSON line: the sale's result and, over the 16,000 purchases (quick: 3,200), CPU ms
per accepted sale for `api_worker`, `projector`, `postgres`, `loadgen` and `other`.

    python -m bench.sale_cpu worker|inline [--full]

`inline`: BOXOFFICE_PROJECTOR=inline and no projector process (the default layout).
Run it from each version's source tree, alternated (bench/RESULTS.md, seventh session).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def _stat(pid: str) -> tuple[int | None, float]:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / HZ
    except (OSError, IndexError, ValueError):
        return None, 0.0


def _cmdline(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _database(pid: int) -> str | None:
    try:
        for entry in open(f"/proc/{pid}/environ", "rb").read().split(b"\0"):
            if entry.startswith(b"BOXOFFICE_DATABASE_URL="):
                return entry.decode().rsplit("/", 1)[1]
    except OSError:
        pass
    return None


def _kind(cmd: str, parent: int | None, root: int) -> str:
    if "spawn_main" in cmd:
        return "loadgen" if parent == root else "api_worker"
    if "project run" in cmd:
        return "projector"
    return "other"


def sample(root: int, marks: str) -> None:
    """Snapshot CPU per process until SIGTERM; print per-class CPU seconds between the marks."""
    snaps: list[tuple[float, dict[tuple[str, int], float]]] = []
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    database = None
    while not stop:
        parents, cpu = {}, {}
        for p in os.listdir("/proc"):
            if p.isdigit():
                parent, used = _stat(p)
                if parent is not None:
                    parents[int(p)], cpu[int(p)] = parent, used
        mine, grew = {root}, True
        while grew:
            grew = False
            for p, parent in parents.items():
                if parent in mine and p not in mine:
                    mine.add(p)
                    grew = True
        snap = {}
        for p in mine - {root}:
            kind = _kind(_cmdline(p), parents.get(p), root)
            database = database or (_database(p) if kind in ("api_worker", "projector") else None)
            snap[(kind, p)] = cpu.get(p, 0.0)
        if database:
            for p in parents:
                if p not in mine and _cmdline(p).startswith("postgres: ") and f" {database} " in _cmdline(p):
                    snap[("postgres", p)] = cpu[p]
        snaps.append((time.time(), snap))
        time.sleep(0.25)
    start, end = json.load(open(marks))
    inside = [s for s in snaps if start - 0.13 <= s[0] <= end + 0.13]
    first, last = inside[0][1], inside[-1][1]
    used: dict[str, float] = {}
    for key, value in last.items():
        if key in first:
            used[key[0]] = used.get(key[0], 0.0) + value - first[key]
    print(json.dumps(used))


def main(layout: str, full: bool) -> dict[str, object]:
    from bench import flash_sale

    if layout == "inline":
        flash_sale.EXTRA_ENV["BOXOFFICE_PROJECTOR"] = "inline"
        flash_sale.projector_worker = lambda url, env: contextlib.nullcontext()
    spans: list[tuple[float, float]] = []
    run_in_process = flash_sale.run_in_process

    def timed(*args: object, **kwargs: object) -> object:
        started = time.time()
        result = run_in_process(*args, **kwargs)
        spans.append((started, time.time()))
        return result

    flash_sale.run_in_process = timed
    marks = f"/tmp/sale_cpu.{os.getpid()}.json"
    sampler = subprocess.Popen([sys.executable, "-m", "bench.sale_cpu", "sample", str(os.getpid()), marks],
                               stdout=subprocess.PIPE, text=True)
    load = os.getloadavg()
    try:
        result = flash_sale.run(full=full, driver="python")
    except BaseException:
        sampler.kill()
        raise
    json.dump(spans[1], open(marks, "w"))  # the second run: the purchases (the first is /healthz)
    sampler.send_signal(signal.SIGTERM)
    used = json.loads(sampler.communicate()[0])
    os.unlink(marks)
    sales = int(result["accepted"]) or 1  # type: ignore[call-overload]
    out = {"layout": layout, **{k: result[k] for k in ("accepted_sales_per_s", "time_to_sell_out_s", "p99_ms",
                                                       "oversold", "listeners_with_two_tickets", "other_statuses")},
           "healthz_rps": result["baseline_healthz"]["rps"],  # type: ignore[index]
           "load": [round(x, 1) for x in load],
           "cpu_ms_per_sale": {k: round(1000 * v / sales, 3) for k, v in sorted(used.items())}}
    print("SALE_CPU " + json.dumps(out))
    return out


if __name__ == "__main__":
    if sys.argv[1] == "sample":
        sample(int(sys.argv[2]), sys.argv[3])
    else:
        main(sys.argv[1], "--full" in sys.argv)
