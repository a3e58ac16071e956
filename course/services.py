"""Login and logout."""

from django.contrib.auth import authenticate

from utils.errors import AppError, Codes
from utils.token_store import token_create, token_delete


def session_login(*, username: str, password: str) -> dict:
    account = authenticate(username=username, password=password)
    if account is None:
        raise AppError(Codes.LOGIN_FAILED)
    token = token_create(account_id=account.pk)
    return {"access_token": token, "username": account.username, "balance": account.balance}


def session_logout(*, token: str) -> None:
    token_delete(token)
