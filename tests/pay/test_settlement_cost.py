"""The settlement's cost is bounded: SQL queries and Redis round trips do not grow with the number
of courses or with what else Redis holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.helpers import add_to_cart
from tests.redis_counting import count_round_trips
from utils import keys
from utils.token_store import account_stamp

pytestmark = pytest.mark.django_db


@pytest.fixture
def fill_cart(auth_api, account, make_course, make_coupon, give_coupon):
    def fill(n: int) -> list[int]:
        ids = []
        for i in range(n):
            course = make_course(f"c{n}-{i}", prices=[("30", "10.00"), ("60", "20.00")])
            give_coupon(account, make_coupon(course=course))
            add_to_cart(auth_api, course)
            ids.append(course.pk)
        give_coupon(account, make_coupon())
        return ids

    return fill


def measure(call):
    with CaptureQueriesContext(connection) as queries, count_round_trips() as trips:
        body = call()
    assert body["code"] == 1000, body
    return len(queries), trips.count


def test_post_costs_the_same_for_1_or_30_courses(auth_api, fill_cart, settings):
    settings.SHOPPING_CAR_LIMIT = 100
    one, thirty = fill_cart(1), fill_cart(30)
    post = lambda ids: auth_api.post("/api/settlement/", {"course_list": ids}, format="json").json()  # noqa: E731
    cold = []
    for ids in (one, thirty):  # warm caches (ContentType, the courses remembered)
        cold.append(measure(lambda ids=ids: post(ids)))
        auth_api.delete("/api/settlement/")
    small = measure(lambda: post(one))
    auth_api.delete("/api/settlement/")
    large = measure(lambda: post(thirty))
    assert small == large
    queries, trips = large
    assert queries == 1  # the account's usable coupons; the courses are remembered
    # the token with the catalogue's generation, the cart and the settlement; then the writes
    # applied by one script (Cluster: the generation's own node, and the EVALs' key lookups)
    assert trips <= 5 if settings.REDIS_CLUSTER else trips == 2
    assert cold[1][0] == 3  # courses not yet remembered: 2 queries more, for all 30 at once


def test_patch_costs_no_query_while_coupons_are_unchanged_and_one_round_trip_to_a_state_shown(
    auth_api, account, fill_cart, settings, redis_client
):
    ids = fill_cart(10)
    data = auth_api.post("/api/settlement/", {"course_list": ids}, format="json").json()["data"]
    line = data["settlement_list"][3]
    record_id = int(next(iter(line["course_coupons"])))

    def choose(coupon_id):
        body = {"course_id": line["id"], "coupon_id": coupon_id}
        return auth_api.patch("/api/settlement/", body, format="json").json()

    # the choice decided by the settlement's permit (kept by POST) and written in the token's
    # own round trip (a Cluster pipeline first asks a node which keys its EVAL names: redis-py's
    # COMMAND GETKEYS, one more); a state not shown yet on this permit: its answer kept, one more
    one = 2 if settings.REDIS_CLUSTER else 1
    assert measure(lambda: choose(record_id)) == (0, one + 1)  # no query: the kept coupon check
    assert measure(lambda: choose(None)) == (0, one + 1)  # the permit moved with it
    # back to states already shown: their kept answers, in the token's round trip alone
    assert measure(lambda: choose(record_id)) == (0, one)
    assert measure(lambda: choose(None)) == (0, one)
    # without a permit: the token with the settlement, then the writes applied by one script
    redis_client.delete(keys.settlement_permit(account.pk))
    assert measure(lambda: choose(record_id)) == (0, 3 if settings.REDIS_CLUSTER else 2)
    assert measure(lambda: choose(None))[1] == one + 1  # that PATCH kept a permit, answers anew


def test_get_takes_the_same_round_trips_with_0_or_100000_unrelated_keys(
    auth_api, account, fill_cart, redis_client
):
    ids = fill_cart(5)
    auth_api.post("/api/settlement/", {"course_list": ids}, format="json")
    get = lambda: auth_api.get("/api/settlement/").json()  # noqa: E731
    _, empty_trips = measure(get)  # priced, rendered and kept
    _, empty_again = measure(get)  # the kept answer

    with redis_client.pipeline(transaction=False) as pipe:
        for i in range(100_000):
            pipe.set(f"settlement_{i}_noise", "x")
            if i % 10_000 == 9_999:
                pipe.execute()
        pipe.execute()
    redis_client.delete(keys.settlement_checked(account.pk))
    _, full_trips = measure(get)
    _, full_again = measure(get)
    assert (empty_trips, empty_again) == (full_trips, full_again) == (3, 1)


def test_payment_costs_the_same_for_1_or_10_courses(auth_api, account, fill_cart, settings):
    from pay.ledger import beili_change
    from pay.models import TransactionRecord

    beili_change(account=account, amount=100_000, transaction_type=TransactionRecord.TYPE_INCOME)
    costs = []
    for n in (1, 10):
        ids = fill_cart(n)
        auth_api.post("/api/settlement/", {"course_list": ids}, format="json")
        pay = lambda: auth_api.post(  # noqa: E731
            "/api/payment/", {"balance": 50_000, "price": "0.00"}, format="json"
        ).json()
        costs.append(measure(pay))
    assert costs[0] == costs[1]


def test_get_while_nothing_changed_costs_one_round_trip_and_no_query_for_1_or_30_courses(
    auth_api, fill_cart, settings
):
    settings.SHOPPING_CAR_LIMIT = 100
    get = lambda: auth_api.get("/api/settlement/").json()  # noqa: E731
    costs = []
    for n in (1, 30):
        auth_api.post("/api/settlement/", {"course_list": fill_cart(n)}, format="json")
        first = measure(get)  # read, priced and rendered, then its answer kept: 2 more round trips
        costs.append((first, measure(get)))
    # again: the token, the settlement and its kept answer in one pipeline
    assert costs == [((0, 3), (0, 1)), ((0, 3), (0, 1))]


def test_get_with_a_token_of_the_old_shape_reads_the_settlement_after_the_token(
    api, account, fill_cart, redis_client
):
    token = "ab" * 20  # 40 hex digits, no account id: made before ids were in tokens
    redis_client.set(keys.auth_token(token), f"{account.pk}:{account_stamp(account)}")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    ids = fill_cart(2)
    assert api.post("/api/settlement/", {"course_list": ids}, format="json").json()["code"] == 1000
    data = api.get("/api/settlement/").json()["data"]
    assert [line["id"] for line in data["settlement_list"]] == ids
