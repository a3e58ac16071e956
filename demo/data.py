"""Demo data for `manage.py load_demo` (and the README's walkthrough). Idempotent.

The course images are this app's static files (demo/static/demo/), served at /static/demo/."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from course.models import Account, Course, PricePolicy
from pay.ledger import beili_change
from pay.models import Coupon, CouponRecord, TransactionRecord
from pay.redemption_codes import redemption_code_format, redemption_codes_generate
from pay.serials import new_serial

DEMO_COURSES = [
    # name, brief, [(valid_period, price)]
    (
        "Python开发21天入门",
        "从零开始的 Python 基础课。",
        [(30, "99.00"), (60, "149.00"), (180, "199.00")],
    ),
    ("Django REST framework 实战", "用 DRF 做一个真正的服务。", [(30, "199.00"), (90, "399.00")]),
    (
        "Redis 深入浅出",
        "数据结构、事务、持久化与集群。",
        [(14, "49.90"), (30, "79.00"), (90, "149.00")],
    ),
    ("算法与数据结构", "刷题之前先把基础打牢。", [(60, "299.00"), (180, "499.00")]),
    ("Linux 运维基础", "命令行、进程、网络与排错。", [(7, "9.90"), (30, "59.00")]),
]

# username, password, 贝里
DEMO_ACCOUNTS = [
    ("alex", "alex-demo-123", 5000),
    ("wusir", "wusir-demo-123", 200),
]


def load() -> list[str]:
    report = ["Demo courses (on sale):"]
    course_type = ContentType.objects.get_for_model(Course)
    for order, (name, brief, policies) in enumerate(DEMO_COURSES, start=1):
        course, _ = Course.objects.update_or_create(
            name=name,
            defaults={
                "brief": brief,
                "course_img": f"/static/demo/course_{order}.svg",
                "status": Course.STATUS_ON_SALE,
                "order": order,
            },
        )
        for period, price in policies:
            PricePolicy.objects.update_or_create(
                content_type=course_type,
                object_id=course.pk,
                valid_period=period,
                defaults={"price": Decimal(price)},
            )
        prices = ", ".join(f"{period}天 {price}" for period, price in policies)
        report.append(f"  #{course.pk} {name}: {prices}")

    report.append("Demo accounts (username / password / 贝里):")
    for username, password, beili in DEMO_ACCOUNTS:
        account = _account(username, password, beili)
        report.append(f"  {account.username} / {password} / {account.balance}")
    report.extend(_coupons())
    return report


def _account(username: str, password: str, beili: int) -> Account:
    account, created = Account.objects.get_or_create(username=username)
    account.set_password(password)
    account.save()
    if created:
        beili_change(
            account=account,
            amount=beili,
            transaction_type=TransactionRecord.TYPE_INCOME,
            memo="注册赠送",
        )
    return account


def _coupons() -> list[str]:
    """One rule of each type bound to demo courses, global rules, and records held by the demo
    accounts (some unused, one used, one expired). Dates are relative to today."""
    today = timezone.localdate()
    course_type = ContentType.objects.get_for_model(Course)
    first, second, third = (Course.objects.get(name=row[0]) for row in DEMO_COURSES[:3])
    window = {"open_date": today - timedelta(days=30), "close_date": today + timedelta(days=60)}
    dates = {
        "valid_begin_date": today - timedelta(days=30),
        "valid_end_date": today + timedelta(days=90),
        "coupon_valid_days": None,
    }
    # name, type, value, off, minimum, bound course, validity
    rules: list[tuple[str, int, str | None, int | None, str, Course | None, dict[str, Any]]] = [
        ("Python立减20元", Coupon.TYPE_GENERAL, "20.00", None, "0", first, dates),
        ("DRF满150减30", Coupon.TYPE_THRESHOLD, "30.00", None, "150.00", second, dates),
        ("Redis课程8折", Coupon.TYPE_DISCOUNT, None, 80, "0", third, dates),
        ("全场通用10元", Coupon.TYPE_GENERAL, "10.00", None, "0", None, {"coupon_valid_days": 30}),
        ("全场满200减50", Coupon.TYPE_THRESHOLD, "50.00", None, "200.00", None, dates),
        ("全场9折", Coupon.TYPE_DISCOUNT, None, 90, "0", None, {"coupon_valid_days": 7}),
    ]
    report = ["Demo coupon rules:"]
    by_name = {}
    for name, kind, value, off, minimum, course, validity in rules:
        rule = Coupon.objects.filter(name=name).first() or Coupon(name=name)
        rule.coupon_type = kind
        rule.money_equivalent_value = Decimal(value) if value else None
        rule.off_percent = off
        rule.minimum_consume = Decimal(minimum)
        rule.content_type = course_type if course else None
        rule.object_id = course.pk if course else None
        rule.valid_begin_date = rule.valid_end_date = rule.coupon_valid_days = None
        for field, field_value in {**window, **validity}.items():
            setattr(rule, field, field_value)
        rule.save()
        by_name[name] = rule
        report.append(f"  #{rule.pk} {rule}{' for ' + course.name if course else ' (global)'}")

    now = timezone.now()
    held = [
        # username, rule, status, days since claim
        ("alex", "Python立减20元", CouponRecord.STATUS_UNUSED, 1),
        ("alex", "DRF满150减30", CouponRecord.STATUS_UNUSED, 1),
        ("alex", "Redis课程8折", CouponRecord.STATUS_UNUSED, 1),
        ("alex", "全场通用10元", CouponRecord.STATUS_UNUSED, 1),
        ("alex", "全场满200减50", CouponRecord.STATUS_UNUSED, 1),
        ("alex", "全场9折", CouponRecord.STATUS_UNUSED, 20),  # claimed 20 days ago: expired
        ("wusir", "全场通用10元", CouponRecord.STATUS_USED, 3),
        ("wusir", "Python立减20元", CouponRecord.STATUS_UNUSED, 1),
    ]
    for username, name, status, days_ago in held:
        account = Account.objects.get(username=username)
        rule = by_name[name]
        if CouponRecord.objects.filter(account=account, coupon=rule).exists():
            continue
        claimed = now - timedelta(days=days_ago)
        CouponRecord.objects.create(
            coupon=rule,
            account=account,
            number=new_serial("C"),
            status=status,
            get_time=claimed,
            used_time=claimed + timedelta(hours=1) if status == CouponRecord.STATUS_USED else None,
        )
    report.append("Demo coupon records: alex holds one of each rule (全场9折 expired); wusir two.")
    report.extend(_limited_rule(window, dates))
    for rule in by_name.values():  # records made above count as issued (see Coupon.issued_count)
        issued = CouponRecord.objects.filter(coupon=rule).count()
        Coupon.objects.filter(pk=rule.pk).update(issued_count=issued)
    return report


def _limited_rule(window: dict, dates: dict) -> list[str]:
    """A rush-style rule: 100 coupons, claimable by its public code too, and five one-time
    redemption codes (made once; printed so that they can be tried by hand)."""
    name = "限量100张·全场立减30"
    rule = Coupon.objects.filter(name=name).first() or Coupon(name=name)
    rule.coupon_type, rule.money_equivalent_value = Coupon.TYPE_GENERAL, Decimal("30.00")
    rule.off_percent, rule.minimum_consume = None, Decimal("0")
    rule.content_type = rule.object_id = rule.coupon_valid_days = None
    for field, value in {**window, **dates, "total_quantity": 100, "code": "PYTHON2026"}.items():
        setattr(rule, field, value)
    rule.save()
    codes = list(rule.redemption_codes.filter(redeemed_by__isnull=True)[:5])
    if not rule.redemption_codes.exists():
        codes = redemption_codes_generate(coupon=rule, count=5)
    printed = ", ".join(redemption_code_format(c.code) for c in codes) or "(all redeemed)"
    return [
        f"  #{rule.pk} {rule} (global): 100 in total, public code PYTHON2026",
        f"  redemption codes (兑换码) of #{rule.pk}: {printed}",
    ]
