"""Demo data for `manage.py load_demo` (and the README's walkthrough). Idempotent."""

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType

from course.models import Account, Course, PricePolicy

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
    ("alex", "alex-demo-123", 1000),
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
                "course_img": f"/static/demo/course_{order}.png",
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
    return report


def _account(username: str, password: str, beili: int) -> Account:
    account, created = Account.objects.get_or_create(username=username)
    account.set_password(password)
    if created:
        account.balance = beili
    account.save()
    return account
