"""Benchmark 2: what one request costs, in SQL queries and Redis round trips, with 1, 10 and 50
courses (API.md, "Guarantees": bounded whatever the number of courses).

In-process (Django test client) against PostgreSQL `bench` and Redis /14. Each account holds a
course coupon for every course it buys (two for the first course) and two global coupons. For each
size, one account walks the whole path once; every request below is measured as it happens:

cart add (the n-th course: first with the worker's remembered courses forgotten, then again as
usual), cart GET, settlement POST / GET / PATCH (course coupon, then global coupon, then the
course coupon off and on again: back to a state shown) / DELETE (all back to the cart), then
settle again and pay with 贝里 (no Idempotency-Key), fill the cart again, settle, choose coupons
and pay with an Idempotency-Key, replay that payment (same key and body), and cancel that order.

SQL queries: django.test.utils.CaptureQueriesContext. Redis round trips: tests/redis_counting.py
(one per command, one per pipeline or MULTI batch), the same counter the test suite uses. The ms
columns time that one call, in-process with the counters on: indicative only. SQL counts include
the BEGIN / COMMIT / SAVEPOINT statements Django sends.
"""

import time

import common

SIZES = (1, 10, 50)
HEADERS = [
    "request",
    *(f"SQL n={n}" for n in SIZES),
    *(f"Redis n={n}" for n in SIZES),
    "shape",
    *(f"ms n={n}" for n in SIZES),
]


def main() -> int:
    common.setup_django(SHOPPING_CAR_LIMIT=str(max(SIZES) + 10))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from course import catalogue as course_catalogue
    from pay.models import Order
    from tests.redis_counting import count_round_trips

    pairs = common.make_courses(max(SIZES), "cost")
    course_rules = [common.make_rule(course, name=f"c{course.pk}") for course, _ in pairs]
    global_rule = common.make_rule(name="global")

    def walk(n: int, label: str) -> dict[str, tuple[int, int, float]]:
        """One account buys n courses along the whole path; cost of each measured request."""
        (account,) = common.make_accounts(1, f"cost-{label}")
        for rule in course_rules[:n]:
            common.give_records(rule, [account])
        first_records = [*common.give_records(course_rules[0], [account])]
        globals_ = common.give_records(global_rule, [account], 2)
        api = common.api_client(common.token_for(account))
        chosen = pairs[:n]
        ids = [course.pk for course, _ in chosen]
        first = chosen[0][0].pk
        costs: dict[str, tuple[int, int, float]] = {}

        def measure(name, call, code=1000):
            with CaptureQueriesContext(connection) as queries, count_round_trips() as trips:
                started = time.perf_counter()
                response = call()
                ms = (time.perf_counter() - started) * 1000
            if code != 1000:
                if response.json().get("code") != code:
                    raise RuntimeError(f"{name}: expected {code}, got {response.json()}")
                data = None
            else:
                data = common.ok_data(response)
            if name:
                costs[name] = (len(queries), trips.count, ms)
            return data

        def fill_cart(measure_last: bool):
            for i, (course, policies) in enumerate(chosen):
                body = {"course_id": course.pk, "price_policy_id": policies[0].pk}
                last = measure_last and i == n - 1
                if last:  # the same course, first read by this worker (course/catalogue.py)
                    course_catalogue.forget_courses([course.pk])
                    measure(
                        "cart POST, course not yet remembered",
                        lambda body=body: api.post("/api/shopping_car/", body, format="json"),
                    )
                measure(
                    "cart POST (add the n-th)" if last else None,
                    lambda body=body: api.post("/api/shopping_car/", body, format="json"),
                )

        def settle_and_choose(course_record, global_record, record: bool):
            def name(text):
                return text if record else None

            data = measure(
                name("settlement POST (n courses)"),
                lambda: api.post("/api/settlement/", {"course_list": ids}, format="json"),
            )
            if course_record is None:  # pick the first course coupon the settlement offers
                line = next(line for line in data["settlement_list"] if line["id"] == first)
                course_record = int(next(iter(line["course_coupons"])))
            measure(name("settlement GET (priced, kept)"), lambda: api.get("/api/settlement/"))
            measure(name("settlement GET again (kept)"), lambda: api.get("/api/settlement/"))

            def choose_course_coupon(record_id):
                body = {"course_id": first, "coupon_id": record_id}
                return lambda: api.patch("/api/settlement/", body, format="json")

            measure(name("settlement PATCH course coupon"), choose_course_coupon(course_record))
            measure(
                name("settlement PATCH global coupon"),
                lambda: api.patch(
                    "/api/settlement/", {"global_coupon_id": global_record}, format="json"
                ),
            )
            # off and on again: the second goes back to a state shown (its kept answer)
            measure(None, choose_course_coupon(None))
            return measure(
                name("settlement PATCH back to a state shown"), choose_course_coupon(course_record)
            )

        fill_cart(measure_last=True)
        measure("cart GET (n in cart)", lambda: api.get("/api/shopping_car/"))
        settle_and_choose(None, globals_[0].pk, record=True)
        measure("settlement DELETE (all back)", lambda: api.delete("/api/settlement/"))
        data = settle_and_choose(None, globals_[0].pk, record=False)
        pay = {"balance": common.beili_for(data["amount"]["payable"]), "price": "0.00"}
        measure(
            "payment 贝里, no key",
            lambda: api.post("/api/payment/", pay, format="json"),
        )

        fill_cart(measure_last=False)
        data = settle_and_choose(first_records[0].pk, globals_[1].pk, record=False)
        pay = {"balance": common.beili_for(data["amount"]["payable"]), "price": "0.00"}
        key = {"HTTP_IDEMPOTENCY_KEY": f"cost-{label}"}
        answer = measure(
            "payment 贝里, Idempotency-Key",
            lambda: api.post("/api/payment/", pay, format="json", **key),
        )
        replay = measure(
            "payment replay (same key)",
            lambda: api.post("/api/payment/", pay, format="json", **key),
        )
        number = answer["order_number"]
        if replay["order_number"] != number:
            raise SystemExit(f"the replay made another order: {replay} vs {answer}")
        order = Order.objects.get(order_number=number)
        if order.status != Order.STATUS_PAID or order.details.count() != n:
            raise SystemExit(
                f"order {number}: status {order.status}, {order.details.count()} lines"
            )
        measure(
            "order cancel (2 coupons back)",
            lambda: api.post(f"/api/orders/{number}/cancel/", format="json"),
        )
        measure("account GET (needs the row)", lambda: api.get("/api/account/"))
        rush = common.make_rule(name=f"rush-{label}", total_quantity=1, per_account_limit=1)
        (winner,) = common.make_accounts(1, f"cost-winner-{label}")
        claim = {"coupon_id": rush.pk}
        winner_api = common.api_client(common.token_for(winner))
        common.ok_data(winner_api.post("/api/coupons/claim/", claim, format="json"))
        measure(
            "coupon claim, sold out (1033)",
            lambda: api.post("/api/coupons/claim/", claim, format="json"),
            code=1033,
        )
        return costs

    # caches (ContentType, URL resolver, prepared connections, every course remembered)
    walk(max(SIZES), "warmup")
    per_size = {n: walk(n, str(n)) for n in SIZES}

    rows = []
    for name in per_size[SIZES[0]]:
        sql = [per_size[n][name][0] for n in SIZES]
        trips = [per_size[n][name][1] for n in SIZES]
        shape = "constant"
        if len(set(sql)) > 1 or len(set(trips)) > 1:
            span = SIZES[-1] - SIZES[0]
            shape = (
                f"grows: +{(sql[-1] - sql[0]) / span:g} SQL, "
                f"+{(trips[-1] - trips[0]) / span:g} Redis per course"
            )
        rows.append([name, *sql, *trips, shape, *(per_size[n][name][2] for n in SIZES)])
    common.print_table(
        "Benchmark 2: cost of one request (SQL queries, Redis round trips) with n courses",
        HEADERS,
        rows,
    )
    shape_at = HEADERS.index("shape")
    growing = [row[0] for row in rows if row[shape_at] != "constant"]
    if growing:
        print(f"\nnot constant: {', '.join(growing)}")
    common.write_results("cost", {"sizes": list(SIZES), "per_size": per_size}, HEADERS, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
