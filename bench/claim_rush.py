"""Benchmark 5: the claim rush (抢券) under gunicorn, beside the bare view in the same run.

One global rule with `total_quantity` 100 and `per_account_limit` 1; 1,000 accounts, each sending
`POST /api/coupons/claim/` twice (2,000 claims, shuffled), from 100 client threads released at
once against `gunicorn settlement_project.wsgi` (sync workers, DEBUG=0) on PostgreSQL + Redis.
The claims are sent in 4 rounds of 500 (the first holds the rush itself); before each round the
same 100 threads load two baselines, each alone in the queue (250 requests each, 1,000 in all),
so that the machine's noisy moments fall on all three alike: the bench-only bare view
`GET /api/health/live` (the envelope, no token, SQL or Redis), and
`GET /api/account/`: the token checked in Redis (one MGET of the token and its account's stamp),
then the account's row in one SQL query; before issue 18's token stamp in Redis, what every
authenticated request paid. A sold-out claim now pays the token's MGET and the gate's EVALSHA, no
SQL.

Reports: records issued (must be exactly 100, at most one per account, the rule's counter equal),
answers by code (no 5xx, no code outside 1000/1032/1033), p50/p99 of each kind of answer, and the
sold-out answers' p50 against the bare view's (the goal: within 2x) and the account read's, and
the gunicorn workers' CPU time per request of each load (rounds 2-4 of the claims hold only
refusals: their CPU per request is what a sold-out answer costs the server, much less sensitive
to a busy machine than wall time).
Exits 1 if an invariant fails.

    .venv/bin/python bench/claim_rush.py                       # database `bench`, Redis db 14
    BENCH_DB=mine BENCH_REDIS_DB=5 BENCH_PORT=8841 .venv/bin/python bench/claim_rush.py
"""

import os
import random
import threading
import time
from collections import Counter

import common

TOTAL = int(os.environ.get("BENCH_RUSH_TOTAL", "100"))
ACCOUNTS = int(os.environ.get("BENCH_RUSH_ACCOUNTS", "1000"))
CLAIMS_PER_ACCOUNT = 2
CLIENTS = int(os.environ.get("BENCH_RUSH_CLIENTS", "100"))
WORKERS = int(os.environ.get("BENCH_RUSH_WORKERS", "4"))
BASELINE_N = int(os.environ.get("BENCH_RUSH_BASELINE", "1000"))
ROUNDS = 4
PING = "GET /api/health/live (bare)"
ACCOUNT = "GET /api/account/ (token + row)"
HEADERS = ["answer", "requests", "p50 ms", "p99 ms", "p50 / bare p50", "p50 / account p50"]


def prepare():
    rule = common.make_rule(name="rush", total_quantity=TOTAL, per_account_limit=1)
    accounts = common.make_accounts(ACCOUNTS, "rush", beili=0)
    tokens = [common.token_for(account) for account in accounts]
    claims = [i for i in range(ACCOUNTS) for _ in range(CLAIMS_PER_ACCOUNT)]
    random.Random(19).shuffle(claims)
    return rule, [tokens[i] for i in claims]


def load(port: int, requests: list[tuple[str, str, str, dict | None, str | None]]) -> common.Tally:
    """Send `requests` (label, method, path, body, token) from CLIENTS threads (each its own
    slice), all released at once. Claims are labelled by their answer's code."""
    tally = common.Tally()
    start = threading.Barrier(CLIENTS)

    def work(i: int) -> None:
        http = common.Http(port)
        start.wait()
        for label, method, path, body, token in requests[i::CLIENTS]:
            status, envelope, ms = http.call(method, path, body, token=token)
            step = label or f"claim {common.code_of(status, envelope)}"
            tally.add(step, status, envelope, ms)
        http.close()

    common.run_threads(CLIENTS, work, join_timeout=180)
    return tally


def merge(into: common.Tally, tally: common.Tally) -> None:
    for step, lat in tally.latencies.items():
        into.latencies.setdefault(step, []).extend(lat)
    for step, codes in tally.codes.items():
        into.codes.setdefault(step, Counter()).update(codes)


def main() -> int:
    common.setup_django()
    rule, claim_tokens = prepare()
    pings = [(PING, "GET", "/api/health/live", None, None)] * BASELINE_N
    accounts = [(ACCOUNT, "GET", "/api/account/", None, t) for t in claim_tokens[:BASELINE_N]]
    claims = [
        (None, "POST", "/api/coupons/claim/", {"coupon_id": rule.pk}, t) for t in claim_tokens
    ]
    with common.Gunicorn("claim_rush", workers=WORKERS) as server:
        print(
            f"{common.gunicorn_version()}, -w {WORKERS} (sync) on port {server.port}; rule with "
            f"total_quantity {TOTAL}, {ACCOUNTS} accounts x {CLAIMS_PER_ACCOUNT} claims, "
            f"{CLIENTS} clients ...",
            flush=True,
        )
        load(server.port, pings[: CLIENTS * 2])  # warm-up: workers, connections
        # ROUNDS rounds of: bare view, token check, a quarter of the claims. Each load is alone in
        # gunicorn's queue (mixed in one queue, every request would wait the same); rounds spread
        # the machine's noisy moments over all three.
        base, rush, rush_s, round_p50s = common.Tally(), common.Tally(), 0.0, []
        cpu_s, sent = Counter(), Counter()  # the workers' CPU seconds and requests, by load

        def measured(kind: str, requests: list) -> common.Tally:
            before = server.worker_cpu_seconds()
            tally = load(server.port, requests)
            cpu_s[kind] += server.worker_cpu_seconds() - before
            sent[kind] += len(requests)
            return tally

        for r in range(ROUNDS):
            bare = measured("bare", pings[r::ROUNDS])
            merge(base, bare)
            merge(base, measured("account", accounts[r::ROUNDS]))
            started = time.monotonic()
            # after the first round every claim is refused (1033, or 1032 for a winner's second)
            merge(rush, measured("rush" if r == 0 else "refusals", claims[r::ROUNDS]))
            rush_s += time.monotonic() - started
            round_p50s.append(round(common.percentile(bare.latencies[PING], 50), 1))
        tracebacks = server.errors_logged()
    cpu_ms = {kind: 1000 * cpu_s[kind] / max(1, sent[kind]) for kind in sent}

    from pay.models import Coupon, CouponRecord

    records = CouponRecord.objects.filter(coupon=rule)
    issued = records.count()
    per_account = Counter(records.values_list("account_id", flat=True))
    counter = Coupon.objects.get(pk=rule.pk).issued_count
    answers = Counter()
    for codes in rush.codes.values():
        answers.update(codes)
    ping_ms = base.latencies[PING]
    ping_p50 = common.percentile(ping_ms, 50)
    token_ms = base.latencies[ACCOUNT]
    token_p50 = common.percentile(token_ms, 50)

    rows = []
    for step, lat in [
        (PING, ping_ms),
        (ACCOUNT, token_ms),
        *sorted(rush.latencies.items()),
    ]:
        p50 = common.percentile(lat, 50)
        rows.append(
            [step, len(lat), p50, common.percentile(lat, 99), p50 / ping_p50, p50 / token_p50]
        )
    common.print_table(f"Claim rush: {len(claims)} claims of a {TOTAL}-coupon rule", HEADERS, rows)
    sold_out = rush.latencies.get("claim 1033", [])
    ratio = common.percentile(sold_out, 50) / ping_p50 if sold_out else float("nan")
    token_ratio = common.percentile(sold_out, 50) / token_p50 if sold_out else float("nan")
    print(
        f"\nissued {issued} records (rule counter {counter}), max per account "
        f"{max(per_account.values(), default=0)}; answers {dict(sorted(answers.items()))}; "
        f"rush {rush_s:.2f} s ({len(claims) / rush_s:.0f} claims/s); bare view p50 by round "
        f"{round_p50s} ms; sold-out p50 / bare p50 = "
        f"{ratio:.2f} (goal <= 2), / account p50 = {token_ratio:.2f}; "
        f"tracebacks in the server log: {tracebacks}"
    )
    cpu_ratio = cpu_ms["refusals"] / cpu_ms["bare"] if cpu_ms.get("bare") else float("nan")
    print(
        "workers' CPU ms per request: "
        + ", ".join(f"{kind} {ms:.2f}" for kind, ms in cpu_ms.items())
        + f"; a refusal (rounds 2-{ROUNDS}: 1033/1032 only) costs {cpu_ratio:.2f}x the bare view"
    )

    failures = []
    if issued != TOTAL or counter != TOTAL:
        failures.append(f"issued {issued} (counter {counter}), expected {TOTAL}")
    if per_account and max(per_account.values()) > 1:
        failures.append("an account holds more than its limit")
    unexpected = {code: n for code, n in answers.items() if code not in {"1000", "1032", "1033"}}
    for step in (PING, ACCOUNT):
        if base.bad(step):
            unexpected[step] = dict(base.codes[step])
    if unexpected or tracebacks:
        failures.append(f"unexpected answers {unexpected}, {tracebacks} tracebacks")
    if answers["1000"] != TOTAL:
        failures.append(f"{answers['1000']} successful answers, expected {TOTAL}")
    for failure in failures:
        print(f"INVARIANT FAILED: {failure}")

    common.write_results(
        "claim_rush",
        {
            "gunicorn": common.gunicorn_version(),
            "workers": WORKERS,
            "clients": CLIENTS,
            "total_quantity": TOTAL,
            "accounts": ACCOUNTS,
            "claims": len(claims),
            "issued": issued,
            "rule_counter": counter,
            "answers": dict(answers),
            "rush_seconds": rush_s,
            "ping_p50_by_round_ms": round_p50s,
            "sold_out_p50_over_ping_p50": ratio,
            "sold_out_p50_over_account_p50": token_ratio,
            "worker_cpu_ms_per_request": cpu_ms,
            "refusal_cpu_over_bare_cpu": cpu_ratio,
            "failures": failures,
        },
        HEADERS,
        rows,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
