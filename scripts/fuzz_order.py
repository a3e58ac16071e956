"""For scripts/fuzz_api.sh: log in as the demo account and pay one order through the public API.

Prints `<token> <order number>`. Usage: python scripts/fuzz_order.py http://127.0.0.1:8765
"""

import json
import sys
import urllib.request
import uuid

BASE = sys.argv[1].rstrip("/")


def call(method: str, path: str, body=None, token: str | None = None, **headers) -> dict:
    request = urllib.request.Request(
        BASE + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def main() -> None:
    login = call("POST", "/api/login/", {"username": "alex", "password": "alex-demo-123"})
    token = login["data"]["access_token"]
    course = call("GET", "/api/courses/")["data"][0]
    policy = course["price_policy"][0]["id"]
    added = call(
        "POST", "/api/shopping_car/", {"course_id": course["id"], "price_policy_id": policy}, token
    )
    assert added["code"] in (1000,), added
    settled = call("POST", "/api/settlement/", {"course_list": [course["id"]]}, token)
    assert settled["code"] == 1000, settled
    # Offer no 贝里: the money is paid later (the development gateway), so the order stays unpaid
    # and cancellable. A 1041 answer carries the server's price.
    body = {"balance": 0, "price": "0.00"}
    answer = call("POST", "/api/payment/", body, token, **{"Idempotency-Key": uuid.uuid4().hex})
    if answer["code"] == 1041:
        body["price"] = answer["data"]["price"]
        answer = call("POST", "/api/payment/", body, token, **{"Idempotency-Key": uuid.uuid4().hex})
    assert answer["code"] == 1000, answer
    print(token, answer["data"]["order_number"])


if __name__ == "__main__":
    main()
