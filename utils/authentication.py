"""Token authentication against the Redis token store.

Accepts `Authorization: Token <t>` (or `Bearer <t>`), and what the tutorial's frontends send: a bare
`Authorization: <t>` or an `Authentication: <t>` header.
"""

from django.contrib.auth import get_user_model
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


class RedisTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        token = token_from_headers(request.META)
        if token is None:
            return None
        account_id = token_account_id(token)
        if account_id is None:
            raise AuthenticationFailed("token无效或已过期 / unknown or expired token")
        user = get_user_model().objects.filter(pk=account_id, is_active=True).first()
        if user is None:
            raise AuthenticationFailed("账户不可用 / account inactive")
        return user, token

    def authenticate_header(self, request):
        return self.keyword
