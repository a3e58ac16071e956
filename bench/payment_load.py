"""Benchmark 4: payment correctness under load, through the HTTP API under gunicorn.

`gunicorn -w 4 -k gthread --threads 4` (16 requests in flight, DEBUG=0) against PostgreSQL
`bench` and Redis /14. For a fixed time (20 s), 50 accounts in four groups, 90 client threads:

- solo (25 accounts, 1 thread each, plenty of 贝里): add 1-3 courses, settle, maybe choose a
  course coupon and a global coupon, pay with just enough 贝里 (Idempotency-Key), and cancel a
  quarter of the orders (coupons and 贝里 come back);
- duplicates (10 accounts, 4 threads each): one thread settles, then all four pay that same
  settlement at once, alternately with four different Idempotency-Keys and with one shared key;
- poor (10 accounts, 1 thread each, 0..2,000 贝里): like solo, but they run out (1042), and
  sometimes offer more 贝里 than they hold;
- chaos (5 accounts, 3 threads each): three solo loops on one account at once, settling,
  choosing coupons, paying and cancelling over each other.

Afterwards, from the database (and the client's log of what it paid), each invariant is checked;
the script exits 1 if any fails:

- no negative balance; every balance equals its ledger's running sum, row by row;
- every balance equals the 贝里 given minus the 贝里 of orders not cancelled; every order's 贝里
  has exactly one 支出 row (and one 退款 row once cancelled);
- at most one order per settlement state (account, settlement_token), and at most one order per
  racing round of the duplicates group;
- no coupon record used twice: a used record belongs to one live order of its account, an unused
  one to none, no record is claimed by two live orders, and every discounted order holds a coupon;
- no 5xx answer, no answer without the envelope, no traceback in the server log.
"""

import os
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from decimal import Decimal

import common

DURATION = float(os.environ.get("BENCH_LOAD_DURATION", "20"))
WORKERS, THREADS = 4, 4
GROUPS = {  # name: (accounts, threads per account)
    "solo": (25, 1),
    "duplicates": (10, 4),
    "poor": (10, 1),
    "chaos": (5, 3),
}
SHOPPERS = {  # group: (cancel rate, overpay rate, record the coupons it paid with)
    "solo": (0.25, 0.0, True),
    "poor": (0.3, 0.3, True),
    "chaos": (0.3, 0.1, False),
}
LIVE = (0, 1)  # Order.STATUS_PAID, STATUS_UNPAID: orders that keep their coupons and 贝里


class Shop:
    """One client thread's view: its connection, and where every answer is recorded."""

    def __init__(self, port, token, group, tally, problems):
        self.http = common.Http(port, token)
        self.group, self.tally, self.problems = group, tally, problems

    def call(self, step, method, path, body=None, headers=None):
        status, envelope, ms = self.http.call(method, path, body, headers=headers)
        self.tally.add(f"{self.group}|{step}", status, envelope, ms)
        if status >= 500 or not isinstance(envelope, dict) or "code" not in envelope:
            self.problems.append(f"{method} {path}: HTTP {status} {str(envelope)[:200]}")
            return f"HTTP {status}", None
        return str(envelope["code"]), envelope.get("data")


class Run:
    """What the clients saw: answers, successful payments with the coupons they used, rounds."""

    def __init__(self):
        self.tally = common.Tally()
        self.problems: list[str] = []  # transport-level failures (5xx, no envelope)
        self.paid: list[tuple[str, frozenset]] = []  # (order number, coupon record ids)
        self.rounds: list[dict] = []  # duplicates group: one entry per racing round
        self.lock = threading.Lock()


def choose_and_price(shop, rng, data):
    """Maybe choose a usable course coupon and a usable global coupon; the latest settlement."""
    if rng.random() < 0.6:
        for line in data["settlement_list"]:
            usable = [rid for rid, c in line["course_coupons"].items() if c["usable"]]
            if usable:
                body = {"course_id": line["id"], "coupon_id": rng.choice(usable)}
                code, answer = shop.call("settlement PATCH", "PATCH", "/api/settlement/", body)
                if code == "1000":
                    data = answer
                break
    if rng.random() < 0.6:
        info = data["global_coupon_info"]  # flat: record ids -> coupons, and default_coupon_id
        usable = [rid for rid, c in info.items() if rid != "default_coupon_id" and c["usable"]]
        if usable:
            body = {"global_coupon_id": rng.choice(usable)}
            code, answer = shop.call("settlement PATCH", "PATCH", "/api/settlement/", body)
            if code == "1000":
                data = answer
    return data


def chosen_records(data) -> frozenset:
    ids = {line["default_course_coupon_id"] for line in data["settlement_list"]}
    ids.add(data["global_coupon_info"]["default_coupon_id"])
    return frozenset(int(i) for i in ids if i is not None)


def settle(shop, rng, pairs):
    """Add 1-3 courses to the cart and settle them; the settlement's data or None."""
    chosen = rng.sample(pairs, rng.randint(1, 3))
    for course, policies in chosen:
        body = {"course_id": course.pk, "price_policy_id": rng.choice(policies).pk}
        shop.call("cart POST", "POST", "/api/shopping_car/", body)
    body = {"course_list": [course.pk for course, _ in chosen]}
    code, data = shop.call("settlement POST", "POST", "/api/settlement/", body)
    return data if code == "1000" else None


def shopper(shop, rng, pairs, run, deadline, *, cancel_rate, overpay_rate, record):
    """The solo / poor / chaos loop: settle, choose coupons, pay with 贝里, sometimes cancel."""
    while time.monotonic() < deadline:
        data = settle(shop, rng, pairs)
        if data is None:
            continue
        data = choose_and_price(shop, rng, data)
        beili = common.beili_for(data["amount"]["payable"])
        if rng.random() < overpay_rate:
            beili += rng.randint(1, 5000)  # may exceed what the account holds: 1042
        body = {"balance": beili, "price": "0.00"}
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        code, answer = shop.call("payment", "POST", "/api/payment/", body, headers)
        if code != "1000":
            continue
        if record:
            with run.lock:
                run.paid.append((answer["order_number"], chosen_records(data)))
        if rng.random() < cancel_rate:
            path = f"/api/orders/{answer['order_number']}/cancel/"
            shop.call("order cancel", "POST", path)


def shoppers(port, group, token, pairs, run, deadline, *, threads, seed):
    """`threads` shopper loops on one account (solo, poor: one; chaos: several)."""
    cancel, overpay, record = SHOPPERS[group]

    def loop(i):
        shop = Shop(port, token, group, run.tally, run.problems)
        rng = random.Random(seed * 100 + i)
        shopper(
            shop,
            rng,
            pairs,
            run,
            deadline,
            cancel_rate=cancel,
            overpay_rate=overpay,
            record=record,
        )

    return [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(threads)]


def duplicates(port, group, token, pairs, run, deadline, *, threads, seed):
    """One account, `threads` threads: the leader settles, then all pay it at the same moment."""
    barrier = threading.Barrier(threads)
    shared = {"stop": False, "body": None, "answers": [None] * threads}

    def member(i):
        shop = Shop(port, token, group, run.tally, run.problems)
        rng = random.Random(seed * 100 + i)
        round_no = 0
        while True:
            if i == 0:
                shared["stop"] = time.monotonic() >= deadline
                shared["body"] = None
                if not shared["stop"]:
                    data = settle(shop, rng, pairs)
                    if data is not None:
                        data = choose_and_price(shop, rng, data)
                        beili = common.beili_for(data["amount"]["payable"])
                        shared["body"] = {"balance": beili, "price": "0.00"}
                        shared["records"] = chosen_records(data)
                        shared["same_key"] = round_no % 2 == 1
                        shared["key"] = uuid.uuid4().hex
            try:
                barrier.wait(timeout=60)
                if shared["stop"]:
                    return
                if shared["body"] is not None:
                    key = shared["key"] if shared["same_key"] else uuid.uuid4().hex
                    code, answer = shop.call(
                        "payment (racing)",
                        "POST",
                        "/api/payment/",
                        shared["body"],
                        {"Idempotency-Key": key},
                    )
                    number = answer["order_number"] if code == "1000" else None
                    shared["answers"][i] = (code, number)
                barrier.wait(timeout=60)
            except threading.BrokenBarrierError:
                return
            if i == 0 and shared["body"] is not None:
                answers, shared["answers"] = shared["answers"], [None] * threads
                orders = {number for _, number in answers if number}
                with run.lock:
                    run.rounds.append(
                        {
                            "same_key": shared["same_key"],
                            "codes": sorted(code for code, _ in answers),
                            "orders": sorted(orders),
                        }
                    )
                    run.paid.extend((number, shared["records"]) for number in orders)
            round_no += 1

    return [threading.Thread(target=member, args=(i,), daemon=True) for i in range(threads)]


# --- Setting up ------------------------------------------------------------------------------


def prepare():
    """Courses, accounts of each group with their 贝里 and coupons; tokens per group."""
    pairs = common.make_courses(4, "load") + common.make_courses(1, "cheap", ("9.90", "19.90"))
    rng = random.Random(7)
    accounts = {}
    for name, (count, _) in GROUPS.items():
        if name == "poor":
            accounts[name] = common.make_accounts(count, name, beili=0)
            from pay.ledger import beili_change
            from pay.models import TransactionRecord

            for account in accounts[name]:
                beili = rng.randint(0, 2000)
                if beili:
                    beili_change(
                        account=account,
                        amount=beili,
                        transaction_type=TransactionRecord.TYPE_INCOME,
                    )
        else:
            beili = 20_000 if name == "chaos" else common.RICH
            accounts[name] = common.make_accounts(count, name, beili=beili)
    everyone = [a for group in accounts.values() for a in group]
    common.give_records(common.make_rule(name="global 10"), everyone, 3)
    common.give_records(
        common.make_rule(
            name="global 30 off 100",
            coupon_type=1,
            money_equivalent_value=Decimal("30.00"),
            minimum_consume=Decimal("100.00"),
        ),
        everyone,
        2,
    )
    common.give_records(
        common.make_rule(
            pairs[0][0], name="8折", coupon_type=2, money_equivalent_value=None, off_percent=80
        ),
        everyone,
        2,
    )
    common.give_records(
        common.make_rule(pairs[1][0], name="5 off", money_equivalent_value=Decimal("5.00")),
        everyone,
        2,
    )
    tokens = {name: [common.token_for(a) for a in group] for name, group in accounts.items()}
    return pairs, tokens


# --- Checking --------------------------------------------------------------------------------


def check(run: Run, tracebacks: int) -> list[tuple[str, int, int]]:
    """(invariant, how many things were checked, violations)."""
    from django.db.models import Count, F, Sum

    from course.models import Account
    from pay.models import CouponRecord, Order, TransactionRecord

    results = []
    accounts = list(Account.objects.all())
    results.append(("no negative balance", len(accounts), sum(a.balance < 0 for a in accounts)))

    rows = defaultdict(list)
    for row in TransactionRecord.objects.order_by("id"):
        rows[row.account_id].append(row)
    bad_ledger = 0
    for account in accounts:
        running = 0
        for row in rows[account.pk]:
            running += row.signed_amount
            bad_ledger += row.balance != running
        bad_ledger += account.balance != running
    results.append(("balance = ledger running sum (each row)", len(accounts), bad_ledger))

    orders = list(Order.objects.all())
    spent = Counter()
    for order in orders:
        if order.status in LIVE:
            spent[order.account_id] += order.beili_used
    income = Counter()
    for account_rows in rows.values():
        for row in account_rows:
            if row.transaction_type == TransactionRecord.TYPE_INCOME:
                income[row.account_id] += row.amount
    bad_total = sum(a.balance != income[a.pk] - spent[a.pk] for a in accounts)
    results.append(("balance = 贝里 given - 贝里 of live orders", len(accounts), bad_total))

    by_order = defaultdict(Counter)
    amounts = defaultdict(set)
    for account_rows in rows.values():
        for row in account_rows:
            if row.order_id:
                by_order[row.order_id][row.transaction_type] += 1
                amounts[row.order_id].add(row.amount)
    bad_rows = 0
    for order in orders:
        kinds = by_order[order.pk]
        want_spend = 1 if order.beili_used else 0
        want_refund = want_spend if order.status not in LIVE else 0
        bad_rows += kinds[TransactionRecord.TYPE_SPEND] != want_spend
        bad_rows += kinds[TransactionRecord.TYPE_REFUND] != want_refund
        bad_rows += bool(order.beili_used) and amounts[order.pk] != {order.beili_used}
    results.append(("order 贝里 = one 支出 row (+ one 退款 if cancelled)", len(orders), bad_rows))

    per_state = (
        Order.objects.values("account_id", "settlement_token")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    no_token = Order.objects.filter(settlement_token__isnull=True).count()
    results.append(("one order per settlement state", len(orders), per_state + no_token))
    results.append(
        (
            "one order per racing round (duplicates)",
            len(run.rounds),
            sum(len(r["orders"]) > 1 for r in run.rounds),
        )
    )

    live = {o.pk: o for o in orders if o.status in LIVE}
    number_to_order = {o.order_number: o for o in orders}
    records = list(CouponRecord.objects.all())
    bad_records = 0
    for record in records:
        if record.status == CouponRecord.STATUS_USED:
            order = live.get(record.order_id)
            bad_records += order is None or order.account_id != record.account_id
        else:
            bad_records += record.order_id is not None
    results.append(("used coupon <-> one live order of its account", len(records), bad_records))

    claims = defaultdict(list)
    for number, record_ids in run.paid:
        order = number_to_order.get(number)
        if order is not None and order.status in LIVE:
            for record_id in record_ids:
                claims[record_id].append(order.pk)
    by_id = {r.pk: r for r in records}
    bad_claims = sum(
        len(set(order_ids)) > 1 or by_id[rid].order_id != order_ids[0]
        for rid, order_ids in claims.items()
    )
    results.append(("no coupon claimed by two live orders", len(claims), bad_claims))

    discounted = (
        Order.objects.filter(status__in=LIVE)
        .annotate(discount=Sum(F("details__original_price") - F("details__price")))
        .filter(discount__gt=0)
    )
    used_by = Counter(
        r.order_id for r in records if r.status == CouponRecord.STATUS_USED and r.order_id
    )
    bad_discount = sum(used_by[o.pk] == 0 for o in discounted)
    results.append(("every discounted order holds a coupon", discounted.count(), bad_discount))

    answers = sum(sum(c.values()) for c in run.tally.codes.values())
    results.append(("no 5xx / answer without envelope", answers, len(run.problems)))
    results.append(("no traceback in the server log", 1, tracebacks))
    return results


def main() -> int:
    common.setup_django()
    pairs, tokens = prepare()
    run = Run()
    threads = []
    with common.Gunicorn("payment_load", workers=WORKERS, threads=THREADS) as server:
        print(
            f"{common.gunicorn_version()}, -w {WORKERS} -k gthread --threads {THREADS}; "
            f"{sum(n for n, _ in GROUPS.values())} accounts, "
            f"{sum(n * t for n, t in GROUPS.values())} client threads, {DURATION:.0f} s ...",
            flush=True,
        )
        deadline = time.monotonic() + DURATION
        seed = 0
        for group, (_, per_account) in GROUPS.items():
            make = duplicates if group == "duplicates" else shoppers
            for token in tokens[group]:
                seed += 1
                threads += make(
                    server.port, group, token, pairs, run, deadline, threads=per_account, seed=seed
                )
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.1, deadline + 90 - time.monotonic()))
        elapsed = time.monotonic() - started
        stuck = sum(t.is_alive() for t in threads)
        tracebacks = server.errors_logged()

    steps = sorted({key.split("|", 1)[1] for key in run.tally.codes})
    headers = ["group", "accounts x threads", *steps]
    rows = []
    for group, (count, per_account) in GROUPS.items():
        cells = []
        for step in steps:
            codes = run.tally.codes.get(f"{group}|{step}", Counter())
            cells.append(" ".join(f"{c}:{n}" for c, n in sorted(codes.items())) or "-")
        rows.append([group, f"{count} x {per_account}", *cells])
    requests = sum(len(v) for v in run.tally.latencies.values())
    common.print_table(
        f"Benchmark 4: answer codes by group and step ({requests:,} requests in {elapsed:.1f} s, "
        f"{requests / elapsed:,.0f} req/s)",
        headers,
        rows,
    )
    same = [r for r in run.rounds if r["same_key"]]
    distinct = [r for r in run.rounds if not r["same_key"]]
    for label, rounds in (("distinct keys", distinct), ("one shared key", same)):
        outcome = Counter(" ".join(r["codes"]) for r in rounds)
        print(f"duplicates, {label}: {len(rounds)} rounds; answers per round: {dict(outcome)}")

    from pay.models import CouponRecord, Order

    print(
        f"orders: {Order.objects.count():,} ({Order.objects.filter(status=0).count():,} paid, "
        f"{Order.objects.filter(status=4).count():,} cancelled); coupon records used: "
        f"{CouponRecord.objects.filter(status=1).count():,}"
    )
    results = check(run, tracebacks)
    if stuck:
        results.append(("client threads finished", len(threads), stuck))
    inv_headers = ["invariant", "checked", "violations", "result"]
    inv_rows = [[name, n, bad, "ok" if bad == 0 else "FAIL"] for name, n, bad in results]
    common.print_table("Benchmark 4: invariants after the run", inv_headers, inv_rows)
    for problem in run.problems[:10]:
        print(f"  {problem}")
    failed = [name for name, _, bad in results if bad]
    common.write_results(
        "payment_load",
        {
            "duration_s": DURATION,
            "gunicorn": f"-w {WORKERS} -k gthread --threads {THREADS}",
            "groups": GROUPS,
            "codes": {key: dict(c) for key, c in run.tally.codes.items()},
            "rounds": run.rounds,
            "problems": run.problems[:100],
            "answers_table": {"headers": headers, "rows": rows},
            "failed": failed,
        },
        inv_headers,
        inv_rows,
    )
    if failed:
        print(f"\nFAILED: {', '.join(failed)}")
        return 1
    print("\nall invariants hold")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
