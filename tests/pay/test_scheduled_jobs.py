"""manage.py run_scheduled: the one entry point for the scheduled jobs, each going on past a bad
row (logged, counted) so one poisoned row never stops the work for everyone else."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from pay import jobs
from pay.ledger import beili_change
from pay.models import Coupon, CouponRecord, IdempotencyKey, Order, TransactionRecord

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("run_scheduled", *args, stdout=out)
    return out.getvalue()


def make_overdue(orders, settings):
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(
        date=timezone.now() - timedelta(seconds=settings.ORDER_PAY_TIMEOUT + 1)
    )


def poison(order):
    """What an edit in the old admin could do: an order already given back (its 退款 row is
    written) set back to 待支付; giving it back again breaks the ledger's once-per-order rule."""
    beili_change(
        account=order.account, amount=1, transaction_type=TransactionRecord.TYPE_REFUND, order=order
    )


def test_one_run_does_every_job(place_order, settings, account, make_coupon, give_coupon):
    order = place_order()
    make_overdue([order], settings)
    rule = make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=1)
    record = give_coupon(account, rule, days_ago=5)
    key = IdempotencyKey.objects.create(account=account, key="k", fingerprint="f")
    IdempotencyKey.objects.filter(pk=key.pk).update(created=timezone.now() - timedelta(days=2))

    out = run()

    assert "cancel_expired_orders: 1 done, 0 failed" in out
    assert "expire_coupons: 1 done, 0 failed" in out
    assert "clear_idempotency_keys: 1 done, 0 failed" in out
    order.refresh_from_db()
    record.refresh_from_db()
    assert order.status == Order.STATUS_TIMED_OUT
    assert record.status == CouponRecord.STATUS_EXPIRED
    assert not IdempotencyKey.objects.exists()


def test_a_fresh_idempotency_key_is_kept(account):
    IdempotencyKey.objects.create(account=account, key="k", fingerprint="f")
    run("--only", "clear_idempotency_keys")
    assert IdempotencyKey.objects.count() == 1


def test_a_poisoned_order_is_logged_counted_and_the_others_still_time_out(
    auth_api, place_order, settings, caplog, make_course
):
    first = place_order(beili=100)
    from tests.helpers import add_to_cart

    orders = [first]
    for name in ("Go", "Rust"):
        course = make_course(name, prices=[("30", "50.00")])
        add_to_cart(auth_api, course)
        auth_api.post("/api/settlement/", {"course_list": [course.pk]}, format="json")
        body = auth_api.post("/api/payment/", {"price": "50.00"}, format="json").json()
        orders.append(Order.objects.get(order_number=body["data"]["order_number"]))
    make_overdue(orders, settings)
    poison(first)

    with pytest.raises(CommandError):
        call_command("cancel_expired_orders", stdout=StringIO())

    statuses = {o.order_number: o.status for o in Order.objects.all()}
    assert statuses[first.order_number] == Order.STATUS_UNPAID  # left, untouched
    assert [statuses[o.order_number] for o in orders[1:]] == [Order.STATUS_TIMED_OUT] * 2
    assert f"could not time out order {first.order_number}" in caplog.text


def test_the_loop_goes_on_after_a_failed_round(place_order, settings, monkeypatch):
    order = place_order(beili=100)
    make_overdue([order], settings)
    poison(order)
    rounds = []

    def sleep(seconds):
        rounds.append(seconds)
        if len(rounds) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("pay.management.commands.run_scheduled.time.sleep", sleep)
    out = run("--loop", "--interval", "5")
    assert rounds == [5, 5]
    assert out.count("cancel_expired_orders: 0 done, 1 failed") == 2
    assert "expire_coupons" not in out  # quiet rounds of the loop say nothing


def test_a_coupon_record_that_cannot_be_checked_is_counted_and_the_rest_expire(
    account, make_coupon, give_coupon, monkeypatch, caplog
):
    rule = make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=1)
    bad, good = give_coupon(account, rule, days_ago=5), give_coupon(account, rule, days_ago=5)
    real = CouponRecord.valid_end

    def valid_end(record):
        if record.pk == bad.pk:
            raise OverflowError("date value out of range")
        return real.fget(record)

    monkeypatch.setattr(CouponRecord, "valid_end", property(valid_end))
    with pytest.raises(CommandError):
        call_command("expire_coupons", stdout=StringIO())
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.status, good.status) == (CouponRecord.STATUS_UNUSED, CouponRecord.STATUS_EXPIRED)
    assert f"could not check coupon record {bad.pk}" in caplog.text


def test_a_rule_written_before_the_bound_with_a_huge_validity_no_longer_breaks_anything(
    account, make_coupon, give_coupon, auth_api
):
    rule = make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=5)
    Coupon.objects.filter(pk=rule.pk).update(coupon_valid_days=3_000_000)  # an old row
    give_coupon(account, rule)
    assert "expire_coupons: 0 done, 0 failed" in run("--only", "expire_coupons")
    wallet = auth_api.get("/api/coupons/").json()
    assert wallet["code"] == 1000
    assert wallet["data"][0]["valid_end"] == "9999-12-31"


def test_a_job_failing_as_a_whole_does_not_stop_the_others(monkeypatch, caplog):
    def broken():
        raise RuntimeError("database gone")

    monkeypatch.setitem(jobs.JOBS, "expire_coupons", broken)
    results = {r.name: r for r in jobs.run_jobs()}
    assert results["expire_coupons"].error == "RuntimeError: database gone"
    assert results["cancel_expired_orders"].ok and results["clear_idempotency_keys"].ok


def test_an_interval_below_one_second_is_refused():
    with pytest.raises(CommandError):
        run("--loop", "--interval", "0")
