"""GET/POST/PUT/DELETE /api/shopping_car/: the contract, every code, bad input, round trips."""

import threading

import pytest
from django.db import connection

from course.models import Course
from shopping import cart_store
from tests.helpers import CART_URL
from tests.redis_counting import count_round_trips
from tests.shopping.conftest import policy_ids
from utils import keys
from utils.redis import ConcurrentUpdate

pytestmark = pytest.mark.django_db


def code_of(response) -> int:
    return response.json()["code"]


def set_status(course: Course, status: int) -> None:
    """As staff change it (a save: the catalogue's generation moves on)."""
    course.status = status
    course.save()


# --- GET ------------------------------------------------------------------------------------


def test_get_of_an_empty_cart_is_an_empty_list(read_cart):
    assert read_cart() == {"cart": [], "total_count": 0}


def test_get_shows_an_added_course_with_its_policies_and_chosen_price(
    read_cart, add_to_cart, make_course
):
    # given a course with two policies, added with the second
    course = make_course("Python", prices=[("30", "99.00"), ("60", "149.50")])
    Course.objects.filter(pk=course.pk).update(course_img="img/python.png")
    first, second = policy_ids(course)
    add_to_cart(course, policy_index=1)
    # when the cart is read
    data = read_cart()
    # then the line is the seed's shape, prices as strings
    assert data == {
        "cart": [
            {
                "id": course.pk,
                "title": "Python",
                "img_src": "img/python.png",
                "price_policy_dict": {
                    str(first): {"valid_period": 30, "valid_period_text": "1个月", "price": "99.00"},
                    str(second): {"valid_period": 60, "valid_period_text": "2个月", "price": "149.50"},
                },
                "default_policy": second,
                "price": "149.50",
            }
        ],
        "total_count": 1,
    }  # fmt: skip


def test_get_orders_the_cart_by_course_id(read_cart, add_to_cart, make_course):
    courses = [make_course() for _ in range(3)]
    for course in reversed(courses):
        add_to_cart(course)
    assert [line["id"] for line in read_cart()["cart"]] == [c.pk for c in courses]


def test_get_still_shows_a_course_that_went_offline(read_cart, add_to_cart, two_policy_course):
    # given a course in the cart that then goes offline
    add_to_cart(two_policy_course)
    set_status(two_policy_course, Course.STATUS_OFFLINE)
    # then the cart still shows it (a snapshot; settlement refuses it with 1023)
    assert [line["id"] for line in read_cart()["cart"]] == [two_policy_course.pk]


def test_get_skips_a_corrupt_entry_instead_of_failing(
    read_cart, add_to_cart, make_course, account, redis_client
):
    good, bad = make_course(), make_course()
    add_to_cart(good)
    add_to_cart(bad)
    redis_client.hset(keys.cart(account.pk, bad.pk), "price_policy_dict", "{oops")
    data = read_cart()
    assert [line["id"] for line in data["cart"]] == [good.pk]
    assert data["total_count"] == 1


def test_get_shows_only_the_signed_in_accounts_cart(
    read_cart, add_to_cart, make_course, make_account, client_for
):
    other = client_for(make_account("other"))
    add_to_cart(make_course(), client=other)
    assert read_cart()["total_count"] == 0
    assert read_cart(other)["total_count"] == 1


def test_get_takes_the_same_few_round_trips_for_1_or_20_courses_among_5000_other_keys(
    auth_api, add_to_cart, make_course, redis_client
):
    # given 5,000 unrelated keys in Redis, some of them look-alikes of other users' carts
    with redis_client.pipeline(transaction=False) as pipe:
        for n in range(5000):
            pipe.set(f"unrelated_{n}", "x")
            if n % 10 == 0:
                pipe.hset(keys.cart(f"9{n}", n), "id", str(n))
        pipe.execute()
    courses = [make_course(prices=[("30", "10.00"), ("60", "20.00")]) for _ in range(20)]
    add_to_cart(courses[0])
    # when the cart of 1 is read, then the cart of 20
    with count_round_trips() as one:
        assert auth_api.get(CART_URL).json()["data"]["total_count"] == 1
    for course in courses[1:]:
        add_to_cart(course)
    with count_round_trips() as twenty:
        assert auth_api.get(CART_URL).json()["data"]["total_count"] == 20
    # then both cost the token lookup and one script reading the index and its hashes
    assert one.count == twenty.count
    assert twenty.count <= 2


def test_get_asks_the_database_nothing(
    auth_api, add_to_cart, make_course, django_assert_num_queries
):
    for _ in range(5):
        add_to_cart(make_course())
    with django_assert_num_queries(0):  # the token's stamp is checked in Redis
        auth_api.get(CART_URL)


# --- POST -----------------------------------------------------------------------------------


def test_post_adds_a_course_and_answers_its_cart_line(auth_api, two_policy_course):
    first, _ = policy_ids(two_policy_course)
    response = auth_api.post(
        CART_URL, {"course_id": two_policy_course.pk, "price_policy_id": first}, format="json"
    )
    assert response.status_code == 200
    assert code_of(response) == 1000
    assert response.json()["data"]["id"] == two_policy_course.pk
    assert response.json()["data"]["price"] == "99.00"


def test_post_accepts_ids_as_numeric_strings(auth_api, read_cart, two_policy_course):
    _, second = policy_ids(two_policy_course)
    body = {"course_id": str(two_policy_course.pk), "price_policy_id": f" {second} "}
    assert code_of(auth_api.post(CART_URL, body, format="json")) == 1000
    assert read_cart()["cart"][0]["default_policy"] == second


def test_post_of_a_course_already_in_the_cart_replaces_its_policy(
    read_cart, add_to_cart, two_policy_course
):
    add_to_cart(two_policy_course, policy_index=0)
    assert code_of(add_to_cart(two_policy_course, policy_index=1)) == 1000
    data = read_cart()
    assert data["total_count"] == 1
    assert data["cart"][0]["price"] == "149.50"


def test_post_refreshes_the_snapshot_from_the_catalogue(read_cart, add_to_cart, two_policy_course):
    # given a course in the cart that staff rename afterwards
    add_to_cart(two_policy_course)
    two_policy_course.name = "Python 3"
    two_policy_course.save()
    # when it is added again
    add_to_cart(two_policy_course)
    # then the cart shows the new name
    assert read_cart()["cart"][0]["title"] == "Python 3"


def test_post_refuses_a_course_that_does_not_exist(auth_api, read_cart):
    response = auth_api.post(CART_URL, {"course_id": 999999, "price_policy_id": 1}, format="json")
    assert response.status_code == 200
    assert code_of(response) == 1010
    assert read_cart()["total_count"] == 0


@pytest.mark.parametrize("status", [Course.STATUS_OFFLINE, Course.STATUS_COMING])
def test_post_refuses_a_course_not_on_sale(add_to_cart, read_cart, make_course, status):
    course = make_course(status=status)
    assert code_of(add_to_cart(course)) == 1010
    assert read_cart()["total_count"] == 0


def test_post_refuses_policy_of_another_course(auth_api, read_cart, make_course):
    course, other = make_course(), make_course()
    body = {"course_id": course.pk, "price_policy_id": policy_ids(other)[0]}
    assert code_of(auth_api.post(CART_URL, body, format="json")) == 1011
    assert read_cart()["total_count"] == 0


def test_post_refuses_a_policy_that_does_not_exist(auth_api, make_course):
    body = {"course_id": make_course().pk, "price_policy_id": 987654}
    assert code_of(auth_api.post(CART_URL, body, format="json")) == 1011


def test_post_refuses_a_new_course_when_the_cart_is_full(
    cart_limit, add_to_cart, read_cart, make_course
):
    # given a limit of 2 and a full cart
    cart_limit(2)
    first, second, third = make_course(), make_course(), make_course()
    add_to_cart(first)
    add_to_cart(second)
    # when a third course is added
    response = add_to_cart(third)
    # then it is refused and the cart is unchanged
    assert response.status_code == 200
    assert code_of(response) == 1013
    assert [line["id"] for line in read_cart()["cart"]] == [first.pk, second.pk]


def test_post_of_a_course_already_in_a_full_cart_does_not_count_against_the_limit(
    cart_limit, add_to_cart, read_cart, make_course, two_policy_course
):
    cart_limit(2)
    add_to_cart(make_course())
    add_to_cart(two_policy_course, policy_index=0)
    assert code_of(add_to_cart(two_policy_course, policy_index=1)) == 1000
    lines = {line["id"]: line for line in read_cart()["cart"]}
    assert lines[two_policy_course.pk]["price"] == "149.50"


def test_post_checks_the_course_before_the_limit(cart_limit, add_to_cart, make_course):
    cart_limit(1)
    add_to_cart(make_course())
    offline = make_course(status=Course.STATUS_OFFLINE)
    assert code_of(add_to_cart(offline)) == 1010


# --- PUT ------------------------------------------------------------------------------------


def test_put_changes_the_policy_of_a_course_in_the_cart(
    auth_api, add_to_cart, read_cart, two_policy_course
):
    add_to_cart(two_policy_course, policy_index=0)
    _, second = policy_ids(two_policy_course)
    body = {"course_id": two_policy_course.pk, "price_policy_id": second}
    response = auth_api.put(CART_URL, body, format="json")
    assert code_of(response) == 1000
    assert response.json()["data"]["default_policy"] == second
    assert read_cart()["cart"][0]["price"] == "149.50"


def test_put_refuses_a_course_not_in_the_cart_and_does_not_add_it(
    auth_api, read_cart, two_policy_course
):
    body = {"course_id": two_policy_course.pk, "price_policy_id": policy_ids(two_policy_course)[0]}
    response = auth_api.put(CART_URL, body, format="json")
    assert response.status_code == 200
    assert code_of(response) == 1012
    assert read_cart()["total_count"] == 0


def test_put_refuses_policy_of_another_course(auth_api, add_to_cart, read_cart, make_course):
    course, other = make_course(), make_course()
    add_to_cart(course)
    before = read_cart()
    body = {"course_id": course.pk, "price_policy_id": policy_ids(other)[0]}
    assert code_of(auth_api.put(CART_URL, body, format="json")) == 1011
    assert read_cart() == before


def test_put_refuses_a_course_that_went_offline_and_leaves_the_cart_unchanged(
    auth_api, add_to_cart, read_cart, two_policy_course
):
    add_to_cart(two_policy_course, policy_index=0)
    before = read_cart()
    set_status(two_policy_course, Course.STATUS_OFFLINE)
    body = {"course_id": two_policy_course.pk, "price_policy_id": policy_ids(two_policy_course)[1]}
    assert code_of(auth_api.put(CART_URL, body, format="json")) == 1010
    assert read_cart() == before


def test_put_is_not_limited_by_a_full_cart(cart_limit, auth_api, add_to_cart, two_policy_course):
    cart_limit(1)
    add_to_cart(two_policy_course)
    body = {"course_id": two_policy_course.pk, "price_policy_id": policy_ids(two_policy_course)[1]}
    assert code_of(auth_api.put(CART_URL, body, format="json")) == 1000


# --- DELETE ---------------------------------------------------------------------------------


def test_delete_removes_a_course_from_the_cart(auth_api, add_to_cart, read_cart, make_course):
    kept, removed = make_course(), make_course()
    add_to_cart(kept)
    add_to_cart(removed)
    response = auth_api.delete(CART_URL, {"course_id": str(removed.pk)}, format="json")
    assert code_of(response) == 1000
    assert [line["id"] for line in read_cart()["cart"]] == [kept.pk]


def test_delete_refuses_a_course_not_in_the_cart(auth_api, add_to_cart, read_cart, make_course):
    add_to_cart(make_course())
    before = read_cart()
    response = auth_api.delete(CART_URL, {"course_id": 424242}, format="json")
    assert response.status_code == 200
    assert code_of(response) == 1012
    assert read_cart() == before


def test_delete_removes_a_course_that_went_offline(
    auth_api, add_to_cart, read_cart, two_policy_course
):
    add_to_cart(two_policy_course)
    set_status(two_policy_course, Course.STATUS_OFFLINE)
    response = auth_api.delete(CART_URL, {"course_id": two_policy_course.pk}, format="json")
    assert code_of(response) == 1000
    assert read_cart()["total_count"] == 0


def test_delete_frees_a_place_in_a_full_cart(cart_limit, auth_api, add_to_cart, make_course):
    cart_limit(1)
    first, second = make_course(), make_course()
    add_to_cart(first)
    auth_api.delete(CART_URL, {"course_id": first.pk}, format="json")
    assert code_of(add_to_cart(second)) == 1000


def test_delete_cannot_touch_another_accounts_cart(
    add_to_cart, make_course, make_account, client_for, read_cart
):
    course = make_course()
    add_to_cart(course)
    other = client_for(make_account("other"))
    assert code_of(other.delete(CART_URL, {"course_id": course.pk}, format="json")) == 1012
    assert read_cart()["total_count"] == 1


# --- authentication -------------------------------------------------------------------------


def test_get_needs_a_token(api):
    response = api.get(CART_URL)
    assert response.status_code == 401
    assert code_of(response) == 1001


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_every_write_needs_a_token(api, method):
    response = getattr(api, method)(CART_URL, {"course_id": 1, "price_policy_id": 1}, format="json")
    assert response.status_code == 401
    assert code_of(response) == 1001


def test_an_unknown_token_is_1001(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api.get(CART_URL)
    assert response.status_code == 401
    assert code_of(response) == 1001


# --- bad input ------------------------------------------------------------------------------

# What replaces a valid id in a body: anything that is not an int or a numeric string.
BAD_IDS = [
    pytest.param("abc", id="string"),
    pytest.param("", id="empty-string"),
    pytest.param("1.0", id="decimal-string"),
    pytest.param("１", id="fullwidth-digit"),
    pytest.param("-1", id="negative-string"),
    pytest.param(-1, id="negative"),
    pytest.param(0, id="zero"),
    pytest.param(True, id="true"),
    pytest.param(False, id="false"),
    pytest.param(1.0, id="float"),
    pytest.param(1.5, id="fraction"),
    pytest.param(2**63, id="beyond-bigint"),
    pytest.param(10**30, id="huge"),
    pytest.param("9" * 40, id="huge-string"),
    pytest.param(None, id="null"),
    pytest.param([1], id="list"),
    pytest.param({"id": 1}, id="dict"),
]


@pytest.fixture
def filled_cart(add_to_cart, read_cart, two_policy_course):
    """A cart holding `two_policy_course` with its first policy; yields the course and the cart."""
    add_to_cart(two_policy_course, policy_index=0)
    return two_policy_course, read_cart()


def assert_refused_as_malformed(response) -> None:
    assert response.status_code == 400
    assert code_of(response) == 1002
    assert response.json()["error"]


@pytest.mark.parametrize("method", ["post", "put"])
@pytest.mark.parametrize("field", ["course_id", "price_policy_id"])
@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_malformed_id_is_1002_and_changes_nothing(
    auth_api, filled_cart, read_cart, method, field, bad
):
    course, before = filled_cart
    body = {"course_id": course.pk, "price_policy_id": policy_ids(course)[1]} | {field: bad}
    assert_refused_as_malformed(getattr(auth_api, method)(CART_URL, body, format="json"))
    assert read_cart() == before


@pytest.mark.parametrize("bad", BAD_IDS)
def test_delete_with_a_malformed_id_is_1002_and_changes_nothing(
    auth_api, filled_cart, read_cart, bad
):
    _, before = filled_cart
    response = auth_api.delete(CART_URL, {"course_id": bad}, format="json")
    assert_refused_as_malformed(response)
    assert read_cart() == before


@pytest.mark.parametrize("method", ["post", "put", "delete"])
@pytest.mark.parametrize(
    "raw_body",
    [
        pytest.param("not json", id="not-json"),
        pytest.param('{"course_id": 1,', id="truncated-json"),
        pytest.param("[1, 2]", id="json-array"),
        pytest.param('"1"', id="json-string"),
        pytest.param("1", id="json-number"),
        pytest.param("null", id="json-null"),
        pytest.param("{}", id="empty-object"),
        pytest.param("", id="no-body"),
        pytest.param('{"price_policy_id": 1}', id="missing-course-id"),
    ],
)
def test_a_body_that_is_not_a_proper_object_is_1002_and_changes_nothing(
    auth_api, filled_cart, read_cart, method, raw_body
):
    _, before = filled_cart
    response = getattr(auth_api, method)(CART_URL, raw_body, content_type="application/json")
    assert_refused_as_malformed(response)
    assert read_cart() == before


@pytest.mark.parametrize("method", ["post", "put"])
def test_a_missing_price_policy_id_is_1002_and_changes_nothing(
    auth_api, filled_cart, read_cart, method
):
    course, before = filled_cart
    response = getattr(auth_api, method)(CART_URL, {"course_id": course.pk}, format="json")
    assert_refused_as_malformed(response)
    assert read_cart() == before


def test_the_largest_valid_id_is_simply_not_a_course(auth_api):
    body = {"course_id": 2**63 - 1, "price_policy_id": 2**63 - 1}
    assert code_of(auth_api.post(CART_URL, body, format="json")) == 1010


def test_a_form_encoded_body_is_refused_without_a_500(auth_api, filled_cart, read_cart):
    _, before = filled_cart
    response = auth_api.post(CART_URL, "course_id=1&price_policy_id=1",
                             content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 415
    assert read_cart() == before


# --- backing services -----------------------------------------------------------------------


def test_a_cart_that_never_stops_changing_is_1003_and_nothing_is_written(
    auth_api, two_policy_course, monkeypatch, read_cart
):
    def busy(*args, **kwargs):
        raise ConcurrentUpdate("always changing")

    monkeypatch.setattr(cart_store, "_write_checked", busy)
    response = auth_api.post(
        CART_URL,
        {"course_id": two_policy_course.pk, "price_policy_id": policy_ids(two_policy_course)[0]},
        format="json",
    )
    assert response.status_code == 503
    assert code_of(response) == 1003


# --- concurrency through the API ------------------------------------------------------------


@pytest.mark.postgres("threads sharing a test database")
@pytest.mark.django_db(transaction=True)
def test_racing_posts_never_overfill_the_cart(cart_limit, account, make_course, client_for):
    # given a limit of 3 and eight courses posted at once by eight threads
    cart_limit(3)
    courses = [make_course() for _ in range(8)]
    bodies = [{"course_id": c.pk, "price_policy_id": policy_ids(c)[0]} for c in courses]
    clients = [client_for(account) for _ in courses]
    barrier = threading.Barrier(len(courses))
    codes: list[int] = []

    def post(client, body):
        try:
            barrier.wait()
            codes.append(code_of(client.post(CART_URL, body, format="json")))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=pair) for pair in zip(clients, bodies, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then exactly three were added and the rest were told the cart is full
    assert sorted(codes) == [1000] * 3 + [1013] * 5
    assert cart_store.cart_count(account.pk) == 3


# --- schema ---------------------------------------------------------------------------------


def test_the_schema_documents_the_cart_bodies_and_answers(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = schema["paths"]["/api/shopping_car/"]
    assert set(operations) >= {"get", "post", "put", "delete"}
    for method in ("post", "put", "delete"):
        assert "requestBody" in operations[method]
    assert set(schema["components"]["schemas"]["CartLine"]["properties"]) == {
        "id", "title", "img_src", "price_policy_dict", "default_policy", "price",
    }  # fmt: skip
