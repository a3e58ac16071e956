"""Benchmark 3: throughput of the service under gunicorn, beside a bare-ish baseline.

`gunicorn settlement_project.wsgi -w 2` (sync workers, DEBUG=0; `BENCH_WORKERS`, `BENCH_THREADS`,
`BENCH_WORKER_CLASS=gthread` (gthread even with one thread), `BENCH_KEEPALIVE`
to try others) on a free loopback port, against PostgreSQL `bench` and Redis /14, loaded from
other processes on the same 2 cores:

- wrk (-t2 -c16, 10 s each, a generated Lua script that rotates tokens and bodies and counts
  envelope codes):
  - `GET /api/health/live`: the baseline (the envelope; no token, SQL or Redis);
  - `GET /api/courses/`: the public catalogue (cached in Redis);
  - `GET /api/settlement/`: 64 accounts with 5 courses settled each, round-robin;
  - `PATCH /api/settlement/`: the same accounts toggling a course coupon on and off.
- a Python load generator (8 threads, http.client, 10 s each):
  - `GET /api/health/live` and `GET /api/courses/` again, the baselines for this tool;
  - the whole flow over 32 funded accounts: add a course to the cart, settle it, pay with 贝里
    (with an Idempotency-Key), again and again.

Ratios compare with the baseline of the same tool, measured in the same run. Without wrk (not
installable), every endpoint runs under the Python generator instead.
"""

import os
import threading
import time
import uuid

import common

DURATION = int(os.environ.get("BENCH_DURATION", "10"))
# Each endpoint's DURATION is cut into ROUNDS slices run in turns (live, courses, GET, PATCH, live,
# ...), so that the machine's load, which drifts over seconds when other work shares it, falls on
# every endpoint alike; a ratio is the median of its per-round ratios.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
CONNECTIONS = 16
READERS = 64
FLOW_ACCOUNTS = 32
PY_THREADS = 8
HEADERS = [
    "endpoint",
    "tool",
    "requests",
    "req/s",
    "p50 ms",
    "p99 ms",
    "non-1000",
    "req/s / live",
    "p50 / live",
    "req/s / courses",
    "CPU ms/req",
    "by CPU / live",
]
PING = "GET /api/health/live (bare view)"
COURSES = "GET /api/courses/"
# gunicorn for this workload (README: "Gunicorn"); the production config is the project's own
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "1"))


def prepare():
    """Courses, 64 readers with a settlement of 5 courses, 32 funded flow accounts."""
    pairs = common.make_courses(5, "tp")
    readers = common.make_accounts(READERS, "reader", beili=0)
    first = pairs[0][0]
    records = common.give_records(common.make_rule(first, name="course"), readers)
    common.give_records(common.make_rule(name="global"), readers)
    gets, patches_on, patches_off = [], [], []
    for reader, record in zip(readers, records, strict=True):
        token = common.token_for(reader)
        common.settle_in_process(common.api_client(token), pairs)
        gets.append(common.Request("GET", "/api/settlement/", token))
        on = {"course_id": first.pk, "coupon_id": record.pk}
        patches_on.append(common.Request("PATCH", "/api/settlement/", token, on))
        off = {"course_id": first.pk, "coupon_id": None}
        patches_off.append(common.Request("PATCH", "/api/settlement/", token, off))
    flow_tokens = [common.token_for(a) for a in common.make_accounts(FLOW_ACCOUNTS, "flow")]
    return pairs, gets, patches_on + patches_off, flow_tokens


def flow_load(
    port: int, tokens: list[str], pairs, *, duration: float, threads: int, tally=None, flows=None
) -> dict:
    """Each thread owns tokens[i::threads] and loops: cart POST, settlement POST, payment POST.
    `tally` and `flows` accumulate over several calls (rounds) when given."""
    tally = common.Tally() if tally is None else tally
    flows: list[float] = [] if flows is None else flows
    before = sum(len(lat) for lat in tally.latencies.values())
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def work(i: int) -> None:
        mine = tokens[i::threads]
        http = common.Http(port)
        n = 0
        while time.monotonic() < deadline:
            token = mine[n % len(mine)]
            course, policies = pairs[(n + i) % len(pairs)]
            n += 1
            total = 0.0
            status, env, ms = http.call(
                "POST",
                "/api/shopping_car/",
                {"course_id": course.pk, "price_policy_id": policies[n % len(policies)].pk},
                token=token,
            )
            tally.add("flow: cart POST", status, env, ms)
            total += ms
            if common.code_of(status, env) != "1000":
                continue
            status, env, ms = http.call(
                "POST", "/api/settlement/", {"course_list": [course.pk]}, token=token
            )
            tally.add("flow: settlement POST", status, env, ms)
            total += ms
            if common.code_of(status, env) != "1000":
                continue
            pay = {"balance": common.beili_for(env["data"]["amount"]["payable"]), "price": "0.00"}
            status, env, ms = http.call(
                "POST",
                "/api/payment/",
                pay,
                token=token,
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            tally.add("flow: payment POST", status, env, ms)
            total += ms
            if common.code_of(status, env) == "1000":
                with lock:
                    flows.append(total)
        http.close()

    start = time.monotonic()
    common.run_threads(threads, work, join_timeout=duration + 60)
    elapsed = time.monotonic() - start
    requests = sum(len(lat) for lat in tally.latencies.values()) - before
    return {"tally": tally, "flows": flows, "seconds": elapsed, "requests": requests}


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def combined(runs: list[dict]) -> dict:
    """One endpoint's rounds as one run: counts added, p50/p99 the medians of the rounds'."""
    seconds = sum(run["seconds"] for run in runs)
    requests = sum(run["requests"] for run in runs)
    return {
        "tool": runs[0]["tool"],
        "requests": requests,
        "seconds": seconds,
        "rps": requests / seconds,
        "p50_ms": median(run["p50_ms"] for run in runs),
        "p99_ms": median(run["p99_ms"] for run in runs),
        "ok": sum(run["ok"] for run in runs),
        "bad": sum(run["bad"] for run in runs),
        "cpu_ms": 1000 * sum(run["cpu_s"] for run in runs) / max(1, requests),
        "rounds": runs,
    }


def round_ratio(runs: list[dict], base: list[dict]) -> float:
    """Median over rounds of this endpoint's req/s over the baseline's in the same round."""
    return median(run["rps"] / ref["rps"] for run, ref in zip(runs, base, strict=True))


def row(name: str, run: dict, ping: dict, courses: dict) -> list:
    return [
        name,
        run["tool"],
        run["requests"],
        run["rps"],
        run["p50_ms"],
        run["p99_ms"],
        run["bad"],
        run.get("ratio_live", run["rps"] / ping["rps"]),
        run["p50_ms"] / ping["p50_ms"],
        run.get("ratio_courses", run["rps"] / courses["rps"]),
        run["cpu_ms"],
        ping["cpu_ms"] / run["cpu_ms"] if run["cpu_ms"] else float("nan"),
    ]


def flow_rows(flow: dict, ping: dict, courses: dict) -> list[list]:
    tally, seconds = flow["tally"], flow["seconds"]

    def summary(lat, bad):
        return {
            "cpu_ms": flow["cpu_ms"] if lat is every else float("nan"),
            "tool": ping["tool"],
            "requests": len(lat),
            "rps": len(lat) / seconds,
            "p50_ms": common.percentile(lat, 50),
            "p99_ms": common.percentile(lat, 99),
            "bad": bad,
        }

    every = [ms for lat in tally.latencies.values() for ms in lat]
    bad = sum(tally.bad(step) for step in tally.latencies)
    every_run = {**summary(every, bad), **flow.get("ratios", {})}
    rows = [row("flow: all its requests", every_run, ping, courses)]
    for step, lat in tally.latencies.items():
        rows.append(row(step, summary(lat, tally.bad(step)), ping, courses))
    paid = row("flow: whole flows paid", summary(flow["flows"], 0), ping, courses)
    paid[-5:-2] = [float("nan")] * 3  # a flow is three requests: no per-request ratio
    paid[-2:] = [1000 * flow["cpu_s"] / max(1, len(flow["flows"])), float("nan")]  # per flow
    return [*rows, paid]


def main() -> int:
    common.setup_django()
    pairs, gets, patches, flow_tokens = prepare()
    wrk = common.ensure_wrk()
    if wrk is None:
        print("wrk unavailable: every endpoint runs under the Python load generator")
    ping_req = [common.Request("GET", "/api/health/live")]
    courses_req = [common.Request("GET", "/api/courses/")]

    slice_s = max(1, round(DURATION / ROUNDS))

    def with_cpu(run):
        """Run `run()`; its result with the workers' CPU seconds spent meanwhile."""
        before = server.worker_cpu_seconds()
        result = run()
        return {**result, "cpu_s": server.worker_cpu_seconds() - before}

    def load(name: str, requests):
        if wrk:
            return with_cpu(
                lambda: common.wrk_load(
                    wrk, server.port, name, requests, duration=slice_s, connections=CONNECTIONS
                )
            )
        return python(requests)

    def python(requests):
        return with_cpu(
            lambda: common.python_load(server.port, requests, duration=slice_s, threads=PY_THREADS)
        )

    wrk_text = f"wrk -t2 -c{CONNECTIONS}" if wrk else "no wrk"
    print(
        f"{common.gunicorn_version()}, -w {WORKERS} "
        f"{common.worker_kind(THREADS)}; "
        f"{DURATION} s per endpoint in {ROUNDS} rounds of {slice_s} s; {wrk_text}; "
        f"Python generator x{PY_THREADS}",
        flush=True,
    )
    with common.Gunicorn("throughput", workers=WORKERS, threads=THREADS) as server:
        common.python_load(server.port, ping_req + courses_req, duration=2, threads=2)  # warm-up
        common.python_load(server.port, gets[:4] + patches[:4], duration=1, threads=2)
        endpoints = {
            PING: ping_req,
            COURSES: courses_req,
            "GET /api/settlement/ (5 courses)": gets,
            "PATCH /api/settlement/ (toggle coupon)": patches,
        }
        rounds: dict[str, list[dict]] = {name: [] for name in endpoints}
        py_rounds: dict[str, list[dict]] = {PING: [], COURSES: [], "flow": []}
        tally, flows = common.Tally(), []
        for r in range(ROUNDS):
            print(f"  round {r + 1}/{ROUNDS}: {', '.join(endpoints)}; then Python ...", flush=True)
            for i, (name, requests) in enumerate(endpoints.items()):
                rounds[name].append(load(f"run{i}", requests))
            py_rounds[PING].append(python(ping_req))
            py_rounds[COURSES].append(python(courses_req))
            part = with_cpu(
                lambda: flow_load(
                    server.port,
                    flow_tokens,
                    pairs,
                    duration=slice_s,
                    threads=PY_THREADS,
                    tally=tally,
                    flows=flows,
                )
            )
            py_rounds["flow"].append({**part, "rps": part["requests"] / part["seconds"]})
        tracebacks = server.errors_logged()

    wrk_runs = {}
    for name, runs in rounds.items():
        wrk_runs[name] = combined(runs)
        wrk_runs[name]["ratio_live"] = round_ratio(runs, rounds[PING])
        wrk_runs[name]["ratio_courses"] = round_ratio(runs, rounds[COURSES])
    py_ping, py_courses = combined(py_rounds[PING]), combined(py_rounds[COURSES])
    py_ping["ratio_courses"] = round_ratio(py_rounds[PING], py_rounds[COURSES])
    py_courses["ratio_live"] = round_ratio(py_rounds[COURSES], py_rounds[PING])
    flow = {
        "tally": tally,
        "flows": flows,
        "seconds": sum(part["seconds"] for part in py_rounds["flow"]),
        "cpu_s": sum(part["cpu_s"] for part in py_rounds["flow"]),
        "ratios": {
            "ratio_live": round_ratio(py_rounds["flow"], py_rounds[PING]),
            "ratio_courses": round_ratio(py_rounds["flow"], py_rounds[COURSES]),
        },
    }
    flow["cpu_ms"] = 1000 * flow["cpu_s"] / max(1, sum(p["requests"] for p in py_rounds["flow"]))
    ping, courses = wrk_runs[PING], wrk_runs[COURSES]
    rows = [row(name, run, ping, courses) for name, run in wrk_runs.items()]
    rows.append(row(PING, py_ping, py_ping, py_courses))
    rows.append(row(COURSES, py_courses, py_ping, py_courses))
    rows.extend(flow_rows(flow, py_ping, py_courses))
    common.print_table(
        f"Benchmark 3: throughput under gunicorn -w {WORKERS} {common.worker_kind(THREADS)} "
        f"(loopback; load generator on the same cores; {ROUNDS} rounds)",
        HEADERS,
        rows,
    )
    codes = {step: dict(counter) for step, counter in flow["tally"].codes.items()}
    print(f"\nflow answer codes: {codes}")
    if tracebacks:
        print(f"WARNING: {tracebacks} tracebacks in {common.RESULTS / 'gunicorn-throughput.log'}")
    bad = sum(r[6] for r in rows)
    common.write_results(
        "throughput",
        {
            "duration_s": DURATION,
            "rounds": ROUNDS,
            "workers": WORKERS,
            "threads": THREADS,
            "connections": CONNECTIONS,
            "python_threads": PY_THREADS,
            "gunicorn": common.gunicorn_version(),
            "wrk_runs": wrk_runs,
            "python_runs": {PING: py_ping, COURSES: py_courses},
            "flow_rounds": [
                {k: v for k, v in part.items() if k not in ("tally", "flows")}
                for part in py_rounds["flow"]
            ],
            "flow_codes": codes,
            "server_tracebacks": tracebacks,
        },
        HEADERS,
        rows,
    )
    if bad or tracebacks:
        print(f"FAILED: {bad} answers were not 1000, {tracebacks} server tracebacks")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
