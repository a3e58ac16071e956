"""utils.authentication.LazyAccount: the token's account, its row read only when more than its id is
needed, and given to the ORM by its id alone."""

import pytest
from rest_framework.exceptions import AuthenticationFailed

from course.models import Account
from pay.models import IdempotencyKey, Order
from utils.authentication import LazyAccount

pytestmark = pytest.mark.django_db


def test_its_id_and_flags_need_no_query(account, django_assert_num_queries):
    with django_assert_num_queries(0):
        lazy = LazyAccount(account.pk)
        assert (lazy.pk, lazy.id) == (account.pk, account.pk)
        assert lazy.is_authenticated and lazy.is_active and not lazy.is_anonymous
        assert bool(lazy)
        assert isinstance(lazy, Account)
        assert "unread" in repr(lazy)


def test_anything_else_reads_the_row_once(account, django_assert_num_queries):
    lazy = LazyAccount(account.pk)
    with django_assert_num_queries(1):
        assert (lazy.username, lazy.balance, lazy.is_staff) == ("alex", 0, False)
    assert lazy == account


def test_an_attribute_no_account_has_is_an_attribute_error_without_a_query(
    account, django_assert_num_queries
):
    lazy = LazyAccount(account.pk)
    with django_assert_num_queries(0):
        assert not hasattr(lazy, "resolve_expression")
        assert not hasattr(lazy, "_prefetched_objects_cache")


def test_orm_filters_take_it_by_its_id(account, django_assert_num_queries):
    lazy = LazyAccount(account.pk)
    with django_assert_num_queries(1):  # only the orders' query
        assert list(Order.objects.filter(account=lazy)) == []


def test_a_foreign_key_takes_it_by_its_id(account, django_assert_num_queries):
    lazy = LazyAccount(account.pk)
    with django_assert_num_queries(1):  # only the INSERT (SQLite; PostgreSQL the same)
        key = IdempotencyKey.objects.create(account=lazy, key="k1", fingerprint="f")
    assert IdempotencyKey.objects.get(pk=key.pk).account_id == account.pk
    assert key.account == account


def test_a_row_gone_or_deactivated_by_the_time_it_is_read_is_1001(account):
    gone = LazyAccount(account.pk + 1000)
    with pytest.raises(AuthenticationFailed):
        gone.username  # noqa: B018
    Account.objects.filter(pk=account.pk).update(is_active=False)
    with pytest.raises(AuthenticationFailed):
        LazyAccount(account.pk).username  # noqa: B018
