"""Where one request's time goes: cProfile over the WSGI application, in-process.

Not one of `make bench`'s four (it measures no goal): run it alone to decide what to speed up.

    .venv/bin/python bench/profiling.py            # 400 calls of each endpoint
    BENCH_PROFILE_CALLS=1000 .venv/bin/python bench/profiling.py

Each request goes through Django's WSGI handler (every middleware, DRF, the renderer) as gunicorn
would call it, minus the socket, against PostgreSQL and Redis like the other scripts (same
database, Redis db and settings). For each endpoint: time per request under the profiler, and the
share of it spent inside each part (cumulative time of the named functions; parts can nest, e.g.
the token's SQL inside authentication). Full listings: bench/results/profile-<endpoint>.txt.
"""

import cProfile
import io
import json
import os
import pstats
import time

import common

CALLS = int(os.environ.get("BENCH_PROFILE_CALLS", "400"))
NESTED = {"DRF serializers (.data)"}

# part: (file fragment, function name) pairs whose cumulative time counts for it
PARTS = {
    "middleware (all, incl. view)": [("django/core/handlers/base.py", "get_response")],
    "authentication": [("utils/authentication.py", "authenticate")],
    "SQL (all)": [("django/db/backends/utils.py", "execute")],
    "Redis (all)": [
        ("redis/client.py", "execute_command"),
        ("redis/client.py", "execute"),
    ],
    "pricing": [("pay/settlement_services.py", "settlement_price")],
    "payload (plain dicts)": [("pay/serializers.py", "settlement_payload")],
    "DRF serializers (.data)": [("rest_framework/serializers.py", "data")],
    "catalogue": [("course/catalogue.py", "catalogue")],
    "claim gate (Lua)": [("pay/coupon_stock.py", "reserve")],
    "payment": [("pay/payment_services.py", "payment_create")],
    "JSON rendering": [("rest_framework/response.py", "rendered_content")],
}


def wsgi_caller():
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()

    def call(
        method: str, path: str, token: str | None = None, body=None, code=1000, key=None
    ) -> bytes:
        raw = json.dumps(body).encode() if body is not None else b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(raw),
            "wsgi.errors": io.StringIO(),
            "CONTENT_LENGTH": str(len(raw)),
            "CONTENT_TYPE": "application/json",
        }
        if token:
            environ["HTTP_AUTHORIZATION"] = f"Token {token}"
        if key:
            environ["HTTP_IDEMPOTENCY_KEY"] = key
        status = []
        out = b"".join(app(environ, lambda s, h, *a: status.append(s)))
        if not status[0].startswith("200") or f'"code":{code}'.encode() not in out.replace(
            b" ", b""
        ):
            raise RuntimeError(f"{method} {path}: {status[0]} {out[:200]!r}")
        return out

    return call


def part_shares(stats: pstats.Stats, total: float) -> dict[str, float]:
    shares = {}
    for part, names in PARTS.items():
        found = [
            cumulative
            for (filename, _, func), (_, _, _, cumulative, _) in stats.stats.items()
            if any(filename.endswith(f) and func == n for f, n in names)
        ]
        # DRF's `.data` properties call each other (a list's calls its base's): the outermost
        seconds = max(found, default=0.0) if part in NESTED else sum(found)
        shares[part] = 100 * seconds / total if total else 0.0
    return shares


def main() -> int:
    common.setup_django()
    call = wsgi_caller()
    pairs = common.make_courses(5, "prof")
    (account,) = common.make_accounts(1, "prof")
    first = pairs[0][0]
    (record,) = common.give_records(common.make_rule(first, name="course"), [account])
    common.give_records(common.make_rule(name="global"), [account])
    token = common.token_for(account)
    rush = common.make_rule(name="rush", total_quantity=1, per_account_limit=1)
    (winner,) = common.make_accounts(1, "prof-winner")
    claim = {"coupon_id": rush.pk}
    call("POST", "/api/coupons/claim/", common.token_for(winner), claim)  # sold out from now
    common.settle_in_process(common.api_client(token), pairs)
    toggle = [
        {"course_id": first.pk, "coupon_id": record.pk},
        {"course_id": first.pk, "coupon_id": None},
    ]
    flow_token = common.token_for(common.make_accounts(1, "prof-flow")[0])
    flow_course, flow_policies = pairs[1]

    def flow(i: int) -> None:
        """The throughput's flow: cart POST, settlement POST, payment with 贝里 (keyed)."""
        pick = {"course_id": flow_course.pk, "price_policy_id": flow_policies[0].pk}
        call("POST", "/api/shopping_car/", flow_token, pick)
        settled = json.loads(
            call("POST", "/api/settlement/", flow_token, {"course_list": [flow_course.pk]})
        )
        payable = settled["data"]["amount"]["payable"]
        pay = {"balance": common.beili_for(payable), "price": "0.00"}
        call("POST", "/api/payment/", flow_token, pay, key=f"prof-{i}-{time.time_ns()}")

    endpoints = {
        "GET /api/health/live": lambda i: call("GET", "/api/health/live"),
        "GET /api/courses/": lambda i: call("GET", "/api/courses/"),
        "GET /api/settlement/": lambda i: call("GET", "/api/settlement/", token),
        "PATCH /api/settlement/": lambda i: call("PATCH", "/api/settlement/", token, toggle[i % 2]),
        "POST /api/coupons/claim/ (sold out)": lambda i: call(
            "POST", "/api/coupons/claim/", token, claim, code=1033
        ),
        "FLOW cart-settlement-payment (3 requests)": flow,
    }
    rows = []
    for name, run in endpoints.items():
        for i in range(50):  # warm-up: connections, caches, imports
            run(i)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for i in range(CALLS):
            run(i)
        profiler.disable()
        elapsed = time.perf_counter() - started
        stats = pstats.Stats(profiler)
        shares = part_shares(stats, stats.total_tt)
        rows.append([name, 1000 * elapsed / CALLS, *shares.values()])
        listing = io.StringIO()
        pstats.Stats(profiler, stream=listing).sort_stats(
            os.environ.get("BENCH_PROFILE_SORT", "cumulative")
        ).print_stats(45)
        slug = name.split()[1].strip("/").replace("/", "-")
        (common.RESULTS / f"profile-{name.split()[0]}-{slug}.txt").write_text(listing.getvalue())
    headers = ["endpoint", "ms/request (profiled)", *(f"% {part}" for part in PARTS)]
    common.print_table(f"cProfile, {CALLS} calls each, in-process WSGI", headers, rows)
    common.write_results("profile", {"calls": CALLS, "parts": PARTS}, headers, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
