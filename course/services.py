"""Login and logout."""

from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import F

from course.models import Account
from utils.errors import AppError, Codes
from utils.token_store import account_tokens_changed, token_create, token_delete


def session_login(*, request, username: str, password: str) -> dict:
    account = authenticate(request, username=username, password=password)
    if account is None:
        raise AppError(Codes.LOGIN_FAILED)
    token = token_create(account=account)
    return {"access_token": token, "username": account.username, "balance": account.balance}


def session_logout(*, token: str) -> None:
    token_delete(token)


def session_logout_everywhere(*, account: Account, token: str) -> None:
    """End every token of `account` (this one included): its token generation moves on, in one
    transaction with telling Redis (if Redis cannot be reached, the generation stays: 1003)."""
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(token_generation=F("token_generation") + 1)
        account_tokens_changed(account.pk)  # an UPDATE sends no signal (course/signals.py)
    token_delete(token)
