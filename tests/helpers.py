"""The shared steps of the tests: the shop's requests, read and written the way a client does, and
snapshots that prove a refused request changed nothing. Fixtures that make rows (accounts,
courses, coupons, 贝里) are in tests/conftest.py and tests/pay/conftest.py; these are plain
functions that a test module imports (`from tests.helpers import add_to_cart, settle`).
"""

from course.models import Course, PricePolicy

CART_URL = "/api/shopping_car/"
SETTLEMENT_URL = "/api/settlement/"
PAYMENT_URL = "/api/payment/"


# --- the catalogue ----------------------------------------------------------------------------


def policies_of(course: Course) -> list[PricePolicy]:
    """The course's price policies, shortest period first."""
    return list(PricePolicy.objects.filter(object_id=course.pk).order_by("valid_period"))


# --- cart -------------------------------------------------------------------------------------


def post_to_cart(api, course: Course, policy_index: int = 0):
    """POST `course` with its n-th policy (by period) to `api`'s cart; the response, whatever it
    says."""
    policy = policies_of(course)[policy_index]
    return api.post(CART_URL, {"course_id": course.pk, "price_policy_id": policy.pk}, format="json")


def add_to_cart(api, course: Course, policy_index: int = 0) -> PricePolicy:
    """Put `course` with its n-th policy (by period) into `api`'s cart; asserts it was taken."""
    body = post_to_cart(api, course, policy_index).json()
    assert body["code"] == 1000, body
    return policies_of(course)[policy_index]


# --- coupons ----------------------------------------------------------------------------------


def claim_coupon(api, **body) -> dict:
    """POST /api/coupons/claim/ (`coupon_id` or `code`); the envelope."""
    return api.post("/api/coupons/claim/", body, format="json").json()


# --- settlement -------------------------------------------------------------------------------


def settle(api, course_list) -> dict:
    """POST /api/settlement/ with `course_list`; the envelope."""
    return api.post(SETTLEMENT_URL, {"course_list": course_list}, format="json").json()


def patch_settlement(api, **body) -> dict:
    """PATCH /api/settlement/ (choose or clear coupons); the envelope."""
    return api.patch(SETTLEMENT_URL, body, format="json").json()


def read_settlement(api) -> dict:
    """GET /api/settlement/; its `data`."""
    return api.get(SETTLEMENT_URL).json()["data"]


# --- payment ----------------------------------------------------------------------------------


def pay(api, balance=0, price="0.00", key=None, **body):
    """POST /api/payment/ with `balance` 贝里 and `price` (and any other field, e.g. gateway), under
    an Idempotency-Key if given; the response."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    payload = {"balance": balance, "price": price, **body}
    return api.post(PAYMENT_URL, payload, format="json", **headers)


# --- the admin --------------------------------------------------------------------------------


def apply_admin_action(client, page: str, action: str, selected, *, follow=False, **form):
    """Submit an admin action's own form (`apply`) on the list at /admin/<page>/ for the rows
    `selected` (their ids), with the form's fields (`form`); the response."""
    data = {"action": action, "_selected_action": list(selected), "apply": "1", **form}
    return client.post(f"/admin/{page}/", data, follow=follow)


# --- snapshots --------------------------------------------------------------------------------


def redis_dump(client) -> dict:
    """Every key in Redis with its type and value, on one Redis or on every node of a Cluster (a
    Cluster's KEYS asks one node unless told otherwise). Values, not DUMP's bytes: a large hash's
    DUMP follows its table's order, which a read may change (Redis rehashes step by step)."""
    if hasattr(client, "get_nodes"):  # redis.cluster.RedisCluster
        names = client.keys("*", target_nodes=client.ALL_NODES)
    else:
        names = client.keys("*")
    return {key: _redis_value(client, key) for key in sorted(names)}


def _redis_value(client, key):
    kind = client.type(key)
    kind = kind.decode() if isinstance(kind, bytes) else kind
    if kind == "hash":
        return kind, client.hgetall(key)
    if kind == "set":
        return kind, frozenset(client.smembers(key))
    if kind == "list":
        return kind, client.lrange(key, 0, -1)
    if kind == "zset":
        return kind, client.zrange(key, 0, -1, withscores=True)
    return kind, client.dump(key)


def count_validations(monkeypatch) -> list:
    """Every serializer class `utils.parsers.validated` is called with from now on, in order."""
    from utils import parsers

    calls: list = []
    real = parsers.validated

    def counting(serializer_class, data):
        calls.append(serializer_class)
        return real(serializer_class, data)

    monkeypatch.setattr(parsers, "validated", counting)
    return calls
