"""Token authentication against the Redis token store.

Accepts `Authorization: Token <t>` (or `Bearer <t>`), and what the tutorial's frontends send: a bare
`Authorization: <t>` or an `Authentication: <t>` header.
"""

from django.contrib.auth import get_user_model
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from utils.token_store import token_lookup, token_matches

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
        entry = token_lookup(token)
        if entry is None:
            raise AuthenticationFailed("token无效或已过期 / unknown or expired token")
        account_id, stamp = entry
        user = get_user_model().objects.filter(pk=account_id, is_active=True).first()
        if user is None:
            raise AuthenticationFailed("账户不可用 / account inactive")
        if not token_matches(user, stamp):
            raise AuthenticationFailed(
                "token已失效(密码已修改或已退出所有设备) / token ended by a password change or logout-all"
            )
        return user, token

    def authenticate_header(self, request):
        return self.keyword
