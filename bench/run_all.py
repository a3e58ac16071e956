"""`make bench`: the benchmarks in order, each in its own process with a time limit.

    .venv/bin/python bench/run_all.py                 # all of them
    .venv/bin/python bench/run_all.py cost keyspace   # some of them, in the order given

Exits 1 if any benchmark failed (payment_load.py fails when an invariant does not hold).
"""

import json
import signal
import subprocess
import sys
import time

import common

# name: time limit in seconds (each script bounds its own work well below it)
BENCHMARKS = {
    "keyspace": 300,
    "cost": 120,
    "throughput": 300,
    "payment_load": 240,
    "claim_rush": 240,
}
BUDGET_S = 15 * 60


def run(name: str, limit: int) -> tuple[int, float]:
    print(f"\n{'=' * 30} bench/{name}.py {'=' * 30}", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(common.BENCH / f"{name}.py")], cwd=common.REPO)
    try:
        code = proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        print(f"bench/{name}.py exceeded {limit} s: stopping it", flush=True)
        proc.send_signal(signal.SIGTERM)  # the script stops its gunicorn on SIGTERM
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        code = 124
    return code, time.monotonic() - started


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    info = common.machine()
    print(
        f"machine: {info['nproc']} cores, {info['cpu']}, {info['mem_gib']} GiB; "
        f"Python {info['python']}; {info['date']}"
    )
    started = time.monotonic()
    outcomes = {name: run(name, BENCHMARKS[name]) for name in names}
    total = time.monotonic() - started

    rows = [
        [name, "ok" if code == 0 else f"FAILED ({code})", seconds]
        for name, (code, seconds) in outcomes.items()
    ]
    rows.append(["total", f"budget {BUDGET_S // 60} min", total])
    common.print_table("make bench: summary", ["benchmark", "result", "seconds"], rows)
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    (common.RESULTS / "run_all.json").write_text(
        json.dumps(
            {
                "machine": info,
                "total_s": total,
                "benchmarks": {n: {"exit": c, "seconds": s} for n, (c, s) in outcomes.items()},
            },
            indent=2,
        )
    )
    if total > BUDGET_S:
        print(f"WARNING: {total:.0f} s is over the {BUDGET_S} s budget")
    return 0 if all(code == 0 for code, _ in outcomes.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
