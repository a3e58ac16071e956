"""Token authentication against the Redis token store.

Accepts `Authorization: Token <t>` (or `Bearer <t>`), and what the tutorial's frontends send: a bare
`Authorization: <t>` or an `Authentication: <t>` header.

The token and its account's current stamp are read in one Redis round trip and compared there
(utils/token_store.py); only when Redis has no stamp for the account is the row read (and the stamp
stored for the next request). The view then gets a `LazyAccount`: its id (`pk`, `id`),
`is_authenticated` and `is_active` need no query, nor do ORM filters and foreign keys given it
(`Order.objects.filter(account=request.user)`, `IdempotencyKey(account=request.user)`); anything
else (`username`, `balance`, `is_staff`, `save()`...) reads the row once, and an account gone or
deactivated by then is 1001.

A view may send reads of its own in the token's round trip: its method
`reads_with_token(request, pipe, account_id)` queues them on `pipe`, and it finds their replies in
`request.token_side_reads`; `side_read(request)` gives the first, the only one most views queue
(the claim's rule gate, the settlement a PATCH or a payment works on, the catalogue's generation).
They are sent before the token is known good, so they are reads only, or a script that checks the
token itself before it writes (a keyed payment's lease, pay/idempotency_store.py).
"""

from functools import partial

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.db.models.base import ModelState
from django.utils.functional import SimpleLazyObject, empty
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from utils.token_store import (
    INACTIVE,
    current_stamp,
    stamp_remember,
    token_lookup,
    token_matches,
)

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


def account_inactive() -> AuthenticationFailed:
    """1001 for a token whose account is gone or deactivated."""
    return AuthenticationFailed("账户不可用 / account inactive")


def _active_account(account_id: int):
    account = get_user_model().objects.filter(pk=account_id, is_active=True).first()
    if account is None:
        raise account_inactive()
    return account


class LazyAccount(SimpleLazyObject):
    """The token's account, its row read only when something needs more than its id.

    To Django it looks like an `Account` instance (`isinstance`, `_meta`, `_state`, `pk`), so the
    ORM takes it in a filter or a foreign key by its id alone; an attribute no `Account` has is an
    AttributeError without a query (the ORM probes a few with `hasattr`)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True  # the token's stamp check has just said so

    def __init__(self, account_id: int):
        super().__init__(partial(_active_account, account_id))
        model = get_user_model()
        state = ModelState()
        state.adding, state.db = False, DEFAULT_DB_ALIAS
        # set on the proxy itself (LazyObject's __setattr__ would read the row)
        self.__dict__.update(pk=account_id, id=account_id, _meta=model._meta, _state=state)

    @property  # type: ignore[misc]  # a proxy that answers isinstance() as an Account does
    def __class__(self):
        return get_user_model()

    def __getattr__(self, name):
        if self._wrapped is empty and not _account_has(name):
            raise AttributeError(name)
        return super().__getattr__(name)

    def _is_pk_set(self):  # what the ORM asks of a model instance given to a filter
        return True

    def __bool__(self):  # DRF's IsAuthenticated asks `request.user and ...`
        return True

    def __repr__(self):
        state = "unread" if self._wrapped is empty else "read"
        return f"<LazyAccount {self.__dict__['pk']} ({state})>"


def _account_has(name: str) -> bool:
    """Whether an `Account` row read from the database could have the attribute `name`."""
    model = get_user_model()
    if hasattr(model, name):
        return True
    return any(name in (field.attname, field.name) for field in model._meta.concrete_fields)


class RedisTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        token = token_from_headers(request.META)
        if token is None:
            return None
        view = (getattr(request, "parser_context", None) or {}).get("view")
        also = getattr(view, "reads_with_token", None)
        entry = token_lookup(token, also=partial(also, request) if also else None)
        if entry is None:
            raise AuthenticationFailed("token无效或已过期 / unknown or expired token")
        account = None
        current = entry.current
        if current is None:  # Redis has no stamp for the account (or an old token): the row
            account = get_user_model().objects.filter(pk=entry.account_id).first()
            current = current_stamp(account)
            stamp_remember(entry, current)
        if current == INACTIVE:
            raise account_inactive()
        if not token_matches(current, entry.stamp):
            raise AuthenticationFailed(
                "token已失效(密码已修改或已退出所有设备) / token ended by a password change or logout-all"
            )
        request.token_side_reads = entry.also
        return account or LazyAccount(entry.account_id), token

    def authenticate_header(self, request):
        return self.keyword


def side_read(request, default=None, *, index: int = 0):
    """The reply of the view's `reads_with_token` at `index` (the first by default; None for one
    that failed), or `default` when there is none (a token of the old shape gets no side reads,
    and a view may queue fewer for some requests)."""
    read = getattr(request, "token_side_reads", None)
    return read[index] if read and len(read) > index else default
