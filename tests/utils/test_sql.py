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
    lines = [an_order_line(order, course_id) for course_id in (1, 2, 3)]
    with CaptureQueriesContext(connection) as queries:
        sql.insert_many(lines)
    assert len(queries) == 1
    stored = list(OrderDetail.objects.filter(order=order).order_by("object_id"))
    assert [(d.object_id, d.price, d.original_price) for d in stored] == [
        (1, Decimal("89.91"), Decimal("99.90")),
        (2, Decimal("89.91"), Decimal("99.90")),
        (3, Decimal("89.91"), Decimal("99.90")),
    ]


def an_order_line(order, course_id: int) -> OrderDetail:
    return OrderDetail(
        order=order,
        object_id=course_id,
        content_type_id=order_type_id(),
        original_price=Decimal("99.90"),
        price=Decimal("89.91"),
        valid_period_display="1个月",
        valid_period=30,
        memo=f"course {course_id}",
    )


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


# --- Writes: a new row and writes naming it, together ---------------------------------------


def an_order_with_its_writes(account, number="O-w") -> tuple[sql.Writes[Order], list]:
    """An order, two lines of it, a ledger row of it and a statement naming its new id."""
    writes = sql.Writes(an_order(account, number=number))
    lines = [an_order_line(writes.first, course_id) for course_id in (1, 2)]
    writes.insert(lines)
    writes.execute(
        "UPDATE course_account SET balance = balance + %s WHERE id = %s", [5, account.pk]
    )
    record = a_ledger_row(account, f"T-{number}", order=writes.first)
    writes.insert([record])
    writes.execute(  # a row that was there before, now naming the new one
        "UPDATE pay_transaction_record SET order_id = %s WHERE transaction_number = %s",
        [sql.NEW_ID, "T-before"],
    )
    return writes, [*lines, record]


def a_ledger_row(account, number: str, **fields) -> TransactionRecord:
    return TransactionRecord(
        account=account,
        **{
            "amount": 1,
            "balance": 1,
            "transaction_type": TransactionRecord.TYPE_INCOME,
            "transaction_number": number,
            **fields,
        },
    )


def test_writes_store_the_new_row_and_the_rows_and_statements_naming_it(account):
    before = sql.insert(
        a_ledger_row(account, "T-before", transaction_type=TransactionRecord.TYPE_SPEND)
    )
    writes, rows = an_order_with_its_writes(account)

    order = writes.run()

    assert order.pk is not None and not order._state.adding
    stored = Order.objects.get(pk=order.pk)
    assert stored.order_number == "O-w" and stored.actual_amount == Decimal("12.30")
    assert TransactionRecord.objects.get(pk=before.pk).order_id == order.pk  # NEW_ID: its id
    lines = OrderDetail.objects.filter(order=order).order_by("object_id")
    assert [(d.object_id, d.price, d.memo) for d in lines] == [
        (1, Decimal("89.91"), "course 1"),
        (2, Decimal("89.91"), "course 2"),
    ]
    assert {r.transaction_number for r in TransactionRecord.objects.filter(order=order)} == {
        "T-O-w",
        "T-before",
    }
    assert Account.objects.get(pk=account.pk).balance == account.balance + 5
    # the rows written know their order's id and are saved, as sql.insert_many leaves them
    assert all(row.order_id == order.pk and not row._state.adding for row in rows)


def test_writes_are_one_statement_on_postgresql_and_one_each_elsewhere(account):
    writes, _ = an_order_with_its_writes(account)

    with CaptureQueriesContext(connection) as queries:
        writes.run()

    assert len(queries) == (1 if connection.vendor == "postgresql" else 5)


def test_writes_happen_all_or_none(account):
    sql.insert(a_ledger_row(account, "T-O-clash"))
    balance = Account.objects.get(pk=account.pk).balance
    writes, rows = an_order_with_its_writes(account, number="O-clash")  # its ledger row clashes

    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic():
            writes.run()
        # the transaction goes on without any of them, and the rows are new ones again
        assert writes.first.pk is None and writes.first._state.adding
        assert all(row._state.adding and row.order_id is None for row in rows)
        assert not Order.objects.filter(order_number="O-clash").exists()
        assert not OrderDetail.objects.filter(memo__startswith="course").exists()
        assert Account.objects.get(pk=account.pk).balance == balance


def test_a_failed_write_marks_the_callers_atomic_block_for_rollback(account):
    sql.insert(an_order(account, number="O-taken"))
    writes = sql.Writes(an_order(account, number="O-taken"))

    with transaction.atomic():
        with pytest.raises(IntegrityError):
            writes.run()
        assert transaction.get_rollback()


def test_writes_start_with_a_new_row(account):
    with pytest.raises(ValueError, match="new row"):
        sql.Writes(sql.insert(an_order(account)))


def test_a_statement_needs_one_value_a_placeholder(account):
    writes = sql.Writes(an_order(account))
    writes.execute("UPDATE pay_order SET refund_memo = %s WHERE id = %s", [sql.NEW_ID])

    if connection.vendor == "postgresql":
        with pytest.raises(ValueError, match="1 values for 2 placeholders"):
            writes.run()
    else:  # checked by the database, one statement at a time
        with pytest.raises(Exception):  # noqa: B017 - each backend names it its own way
            writes.run()


def test_a_second_write_of_one_row_is_refused(account):
    # one statement on PostgreSQL would apply only one of two balance moves of an account
    writes = sql.Writes(an_order(account))
    move = "UPDATE course_account SET balance = balance + %s WHERE id = %s"
    writes.execute(move, [5, account.pk], rows=[("course_account", account.pk)])

    with pytest.raises(ValueError, match="second write"):
        writes.execute(move, [-3, account.pk], rows=[("course_account", account.pk)])


def test_two_ledger_moves_of_one_account_in_one_writes_are_refused(account):
    from pay.ledger import beili_change

    account.balance = 100
    with transaction.atomic():
        writes = sql.Writes(an_order(account))
        spend = {"account": account, "order": writes.first, "account_locked": True}
        beili_change(
            amount=10, transaction_type=TransactionRecord.TYPE_SPEND, writes=writes, **spend
        )
        with pytest.raises(ValueError, match="second write"):
            beili_change(
                amount=20, transaction_type=TransactionRecord.TYPE_REFUND, writes=writes, **spend
            )


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT id FROM pay_order WHERE id = %s FOR UPDATE",
        "UPDATE pay_order SET refund_memo = '100%' WHERE id = %s",
        "UPDATE pay_order SET refund_memo = '%%s' WHERE id = %s",
    ],
    ids=["not a write", "a literal percent", "an escaped placeholder"],
)
def test_statements_that_would_differ_between_the_two_ways_are_refused(account, statement):
    writes = sql.Writes(an_order(account))

    with pytest.raises(ValueError):
        writes.execute(statement, [sql.NEW_ID])


@pytest.mark.django_db(transaction=True)
def test_writes_outside_a_transaction_are_refused(account):
    writes, _ = an_order_with_its_writes(account)

    with pytest.raises(TransactionManagementError):
        writes.run()
    assert not Order.objects.exists()


def test_writes_run_once(account):
    writes, _ = an_order_with_its_writes(account)
    writes.run()

    with pytest.raises(RuntimeError, match="ran already"):
        writes.run()
    with pytest.raises(RuntimeError, match="ran already"):
        writes.insert([an_order_line(writes.first, 9)])
