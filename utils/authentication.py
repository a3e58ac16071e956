"""Token authentication against the Redis token store.

Accepts `Authorization: Token <t>` (or `Bearer <t>`), and what the tutorial's frontends send: a bare
`Authorization: <t>` or an `Authentication: <t>` header.

A view that only needs the account's id (the cart and settlement, which live in Redis) sets
`account_row_needed = False`: its `request.user` is then a `LazyAccount`, whose `pk`/`id` come from
the token and whose row (checked active) is read only if something asks for more. Every other view
gets the row read and checked at once, as before.
"""

from django.contrib.auth import get_user_model
from django.utils.functional import SimpleLazyObject
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from utils.token_store import token_account_id

_KEYWORDS = {"token", "bearer"}


def token_from_headers(meta) -> str | None:
    raw = meta.get("HTTP_AUTHORIZATION") or meta.get("HTTP_AUTHENTICATION")
    if not raw:
        return None
    parts = raw.split()
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2 and parts[0].lower() in _KEYWORDS:
        return parts[1]
    raise AuthenticationFailed("认证头格式错误 / malformed Authorization header")


def active_account(account_id: int):
    user = get_user_model().objects.filter(pk=account_id, is_active=True).first()
    if user is None:
        raise AuthenticationFailed("账户不可用 / account inactive")
    return user


class LazyAccount(SimpleLazyObject):
    """The token's account: `pk`, `id` and `is_authenticated` without SQL; any other attribute
    reads the row first (1001 if the account is inactive or gone by then)."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, account_id: int):
        super().__init__(lambda: active_account(account_id))
        # set on the proxy itself (LazyObject's __setattr__ would load the row)
        self.__dict__["pk"] = self.__dict__["id"] = account_id

    def __bool__(self):  # DRF's IsAuthenticated asks `request.user and ...`
        return True


class RedisTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        token = token_from_headers(request.META)
        if token is None:
            return None
        account_id = token_account_id(token)
        if account_id is None:
            raise AuthenticationFailed("token无效或已过期 / unknown or expired token")
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if not getattr(view, "account_row_needed", True):
            return LazyAccount(account_id), token
        return active_account(account_id), token

    def authenticate_header(self, request):
        return self.keyword
