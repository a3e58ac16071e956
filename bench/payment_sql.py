"""Every SQL statement one payment sends, in order (bench/README.md, "A payment's statements").

Not one of `make bench`'s four: run it alone. In-process against PostgreSQL like the others; one
account with 3 courses settled (a course coupon and a global coupon chosen) pays with 贝里, first
without, then with an Idempotency-Key.

Then where a payment's CPU goes: the whole request (in-process, as gunicorn would call it) beside
the same statements sent straight through psycopg (captured from a payment in a transaction rolled
back, then replayed in transactions rolled back): the difference is Django's ORM, DRF and the
service's own work, not the database driver.

    .venv/bin/python bench/payment_sql.py
"""

import json
import re
import time
import uuid

import common


def short(sql: str) -> str:
    sql = re.sub(r"\s+", " ", sql)
    if sql.startswith("WITH w0 AS ("):  # utils.sql.Writes: each of its writes, named
        writes = re.findall(r"w\d+ AS \((INSERT INTO \S+|UPDATE \S+)", sql)
        return f"WITH … ({len(writes)} writes: {', '.join(writes)})"
    sql = re.sub(r"SELECT .*? FROM", "SELECT … FROM", sql)
    sql = re.sub(r"\(.{60,}?\) VALUES", "(…) VALUES", sql)
    sql = re.sub(r"VALUES .*", "VALUES …", sql)
    sql = re.sub(r"SET .{60,}? WHERE", "SET … WHERE", sql)
    return sql[:150]


def main() -> int:
    common.setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pairs = common.make_courses(3, "psql")
    first = pairs[0][0]
    for label, headers in (
        ("no key", {}),
        ("Idempotency-Key", {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}),
    ):
        (account,) = common.make_accounts(1, f"psql-{len(headers)}")
        (record,) = common.give_records(common.make_rule(first, name=f"c{label}"), [account])
        (glob,) = common.give_records(common.make_rule(name=f"g{label}"), [account])
        api = common.api_client(common.token_for(account))
        data = common.settle_in_process(api, pairs)
        api.patch(
            "/api/settlement/", {"course_id": first.pk, "coupon_id": record.pk}, format="json"
        )
        data = common.ok_data(
            api.patch("/api/settlement/", {"global_coupon_id": glob.pk}, format="json")
        )
        body = {"balance": common.beili_for(data["amount"]["payable"]), "price": "0.00"}
        with CaptureQueriesContext(connection) as queries:
            common.ok_data(api.post("/api/payment/", body, format="json", **headers))
        print(f"\npayment with 贝里, {label}: {len(queries)} statements")
        for i, query in enumerate(queries, 1):
            print(f"{i:3}. {short(query['sql'])}")
    payment_cpu_beside_its_statements(pairs)
    return 0


def payment_cpu_beside_its_statements(pairs, calls: int = 200) -> None:
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection, transaction
    from django.test.utils import CaptureQueriesContext
    from profiling import wsgi_caller

    call = wsgi_caller()
    (account,) = common.make_accounts(1, "psql-cpu")
    token = common.token_for(account)
    course, policies = pairs[1]

    def settle() -> dict:
        pick = {"course_id": course.pk, "price_policy_id": policies[0].pk}
        call("POST", "/api/shopping_car/", token, pick)
        settled = json.loads(call("POST", "/api/settlement/", token, {"course_list": [course.pk]}))
        return {"balance": common.beili_for(settled["data"]["amount"]["payable"]), "price": "0.00"}

    spent = 0.0
    for i in range(calls + 20):
        pay = settle()
        started = time.process_time()
        call("POST", "/api/payment/", token, pay, key=uuid.uuid4().hex)
        if i >= 20:  # warm-up: connections, caches
            spent += time.process_time() - started
    pay = settle()
    for signal in (request_started, request_finished):  # keep this connection for the capture
        signal.disconnect(close_old_connections)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        call("POST", "/api/payment/", token, pay, key=uuid.uuid4().hex)
        transaction.set_rollback(True)
    statements = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].split()[0].upper() not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")
    ]
    raw = connection.connection
    started = time.process_time()
    for _ in range(calls):
        with raw.transaction(force_rollback=True), raw.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql.replace("%", "%%"))
    replay = time.process_time() - started
    print(
        f"\npayment with 贝里 and a key, CPU per payment: the request {1000 * spent / calls:.2f} ms;"
        f" its {len(statements)} statements sent through psycopg alone"
        f" {1000 * replay / calls:.2f} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
