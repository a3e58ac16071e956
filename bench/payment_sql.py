"""Every SQL statement one payment sends, in order (bench/README.md, "A payment's statements").

Not one of `make bench`'s four: run it alone. In-process against PostgreSQL like the others; one
account with 3 courses settled (a course coupon and a global coupon chosen) pays with 贝里, first
without, then with an Idempotency-Key.

    .venv/bin/python bench/payment_sql.py
"""

import re
import uuid

import common


def short(sql: str) -> str:
    sql = re.sub(r"\s+", " ", sql)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
