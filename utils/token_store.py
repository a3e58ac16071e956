"""Login tokens in Redis: `auth_token_<token>` → account id, with an expiry."""

import secrets

from django.conf import settings

from utils import keys
from utils.redis import get_redis

MAX_TOKEN_LENGTH = 128


def token_create(*, account_id: int) -> str:
    token = secrets.token_hex(20)
    get_redis().set(keys.auth_token(token), str(account_id), ex=settings.TOKEN_TTL_SECONDS)
    return token


def token_account_id(token: str) -> int | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    value = get_redis().get(keys.auth_token(token))
    return int(value) if value is not None else None


def token_delete(token: str) -> None:
    get_redis().delete(keys.auth_token(token))
