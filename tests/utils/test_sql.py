"""utils.sql: statements written once store and read back exactly what the ORM would, on SQLite
and PostgreSQL alike, inside the caller's transaction."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from course.models import Account, Course, PricePolicy
from pay.models import Coupon, IdempotencyKey, Order, OrderDetail, TransactionRecord
from utils import sql

pytestmark = pytest.mark.django_db


def an_order(account, number="O-1", **fields) -> Order:
    values = {
        "payment_type": Order.PAY_BEILI,
        "order_number": number,
        "account": account,
        "actual_amount": Decimal("12.30"),
        "status": Order.STATUS_UNPAID,
        **fields,
    }
    return Order(**values)


def test_insert_saves_the_row_as_the_orm_would_and_gives_back_its_id(account):
    before = timezone.now()
    order = sql.insert(an_order(account, beili_used=7, settlement_token="c1"))
    assert order.pk is not None and not order._state.adding
    stored = Order.objects.get(pk=order.pk)
    assert stored.actual_amount == Decimal("12.30")
    assert stored.beili_used == 7 and stored.settlement_token == "c1"
    assert stored.refund_reason == "" and stored.refund_flagged is False  # the fields' defaults
    assert before <= stored.date <= timezone.now()  # auto_now_add, time-zone aware
    assert order.date == stored.date


def test_insert_many_saves_every_row_in_one_statement(account):
    order = sql.insert(an_order(account))
    lines = [
        OrderDetail(
            order=order,
            object_id=course_id,
            content_type_id=order_type_id(),
            original_price=Decimal("99.90"),
            price=Decimal("89.91"),
            valid_period_display="1个月",
            valid_period=30,
            memo=f"course {course_id}",
        )
        for course_id in (1, 2, 3)
    ]
    with CaptureQueriesContext(connection) as queries:
        sql.insert_many(lines)
    assert len(queries) == 1
    stored = list(OrderDetail.objects.filter(order=order).order_by("object_id"))
    assert [(d.object_id, d.price, d.original_price) for d in stored] == [
        (1, Decimal("89.91"), Decimal("99.90")),
        (2, Decimal("89.91"), Decimal("99.90")),
        (3, Decimal("89.91"), Decimal("99.90")),
    ]


def order_type_id() -> int:
    return ContentType.objects.get_for_model(Course).pk


def test_a_json_value_is_written_as_the_field_writes_it(account):
    answer = {"code": 1000, "data": {"price": "0.00", "名": "路飞"}}
    key = sql.insert(IdempotencyKey(account=account, key="k", fingerprint="f", owner="o"))
    changed = sql.execute(
        "UPDATE pay_idempotency_key SET response = %s WHERE id = %s",
        [sql.prepared(IdempotencyKey, "response", answer), key.pk],
    )
    assert changed == 1
    assert IdempotencyKey.objects.get(pk=key.pk).response == answer


def test_a_unique_clash_is_djangos_integrity_error_and_leaves_the_transaction_usable(account):
    sql.insert(an_order(account, number="O-same"))
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic():
            sql.insert(an_order(account, number="O-same"))
        assert Order.objects.filter(order_number="O-same").count() == 1


def test_read_converts_each_column_as_the_orm_does():
    course = Course.objects.create(name="Python")
    policy = PricePolicy.objects.create(
        content_type=ContentType.objects.get_for_model(Course),
        object_id=course.pk,
        valid_period=30,
        price=Decimal("149.90"),
    )
    read = sql.Read([None, PricePolicy._meta.get_field("price")])
    ((pk, price),) = read.rows(
        "SELECT id, price FROM course_pricepolicy WHERE id = %s", [policy.pk]
    )
    assert pk == policy.pk
    assert isinstance(price, Decimal) and price == Decimal("149.90")


def test_an_instance_from_columns_equals_what_the_orm_reads():
    rule = Coupon.objects.create(
        name="满100减10",
        coupon_type=Coupon.TYPE_THRESHOLD,
        money_equivalent_value=Decimal("10.00"),
        minimum_consume=Decimal("100.00"),
        open_date=timezone.localdate(),
        close_date=timezone.localdate() + timedelta(days=3),
        valid_begin_date=timezone.localdate(),
        valid_end_date=timezone.localdate() + timedelta(days=9),
    )
    rows = sql.Read(sql.model_fields(Coupon)).rows(
        f"SELECT {sql.columns(Coupon, 'c')} FROM pay_coupon c WHERE c.id = %s", [rule.pk]
    )
    built = sql.instance(Coupon, rows[0])
    read = Coupon.objects.get(pk=rule.pk)
    for field in Coupon._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(read, field.attname), field.name


def test_a_deferred_instance_holds_what_it_was_given_and_reads_the_rest_if_asked(account):
    partial = sql.deferred_instance(Account, {"id": account.pk, "balance": 5})
    assert partial.balance == 5
    assert partial.get_deferred_fields() >= {"username", "email"}
    assert partial.username == account.username  # read on demand


def test_models_with_save_signals_are_refused():
    with pytest.raises(TypeError, match="save signals"):
        sql.insert(Course(name="signals fire on courses"))  # course/signals.py listens


def test_a_receiver_connected_after_a_first_insert_is_still_refused(account):
    sql.insert(an_order(account, number="O-before"))

    def receiver(**kwargs):
        pass

    post_save.connect(receiver, sender=Order)
    try:
        with pytest.raises(TypeError, match="save signals"):
            sql.insert(an_order(account, number="O-after"))
    finally:
        post_save.disconnect(receiver, sender=Order)


def test_a_failed_write_marks_the_atomic_block_for_rollback_as_the_orm_does(account):
    sql.insert(an_order(account, number="O-twice"))
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            sql.insert(an_order(account, number="O-twice"))  # caught, no savepoint
        assert transaction.get_rollback()


@pytest.mark.django_db(transaction=True)
def test_row_locks_outside_a_transaction_are_refused():
    with pytest.raises(TransactionManagementError):
        sql.for_update()


def test_row_locks_are_asked_for_only_where_the_database_has_them():
    with transaction.atomic():
        clause = sql.for_update(of="r")
    if connection.features.has_select_for_update:
        assert clause == ' FOR UPDATE OF "r"'
    else:
        assert clause == ""


def test_statements_take_part_in_the_callers_transaction(account):
    with pytest.raises(RuntimeError), transaction.atomic():
        sql.insert(
            TransactionRecord(
                account_id=account.pk,
                amount=1,
                balance=1,
                transaction_type=TransactionRecord.TYPE_INCOME,
                transaction_number="T-rolled-back",
            )
        )
        raise RuntimeError
    assert not TransactionRecord.objects.filter(transaction_number="T-rolled-back").exists()


def test_placeholders_match_the_number_of_values():
    assert sql.placeholders(1) == "%s"
    assert sql.placeholders(3) == "%s, %s, %s"
