"""The 贝里 ledger: the one way a balance changes, each change with its ledger row."""

from django.db import transaction

from course.models import Account
from pay.models import Order, TransactionRecord
from pay.serials import new_serial
from utils import sql
from utils.errors import AppError, Codes


def beili_change(
    *,
    account: Account,
    amount: int,
    transaction_type: int,
    memo: str = "",
    order: Order | None = None,
    account_locked: bool = False,
    writes: sql.Writes[Order] | None = None,
) -> TransactionRecord:
    """Move `amount` 贝里 into (收入/退款) or out of (支出/提现) the account, with its ledger row.

    Locks the account row (inside the caller's transaction when there is one), unless the caller
    says `account_locked`: it selected `account` for update in this transaction, so its balance
    is current. Refuses to go below zero (1042). `writes` (with `account_locked`): the two
    writes join the caller's (a payment's: its order is `writes.first`), which runs them; the
    row comes back unsaved until then.
    """
    if amount <= 0:
        raise ValueError("amount must be positive")
    if account_locked:
        # Locked in the caller's transaction: that transaction makes the two writes one, so no
        # savepoint and no second lock (a payment's statements, bench/README.md).
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("account_locked needs the caller's transaction")
        return _ledger_write(
            account,
            account,
            amount,
            transaction_type=transaction_type,
            memo=memo,
            order=order,
            writes=writes,
        )
    if writes is not None:
        raise RuntimeError("writes needs account_locked")
    with transaction.atomic():
        locked = Account.objects.select_for_update().only("id", "balance").get(pk=account.pk)
        return _ledger_write(
            account, locked, amount, transaction_type=transaction_type, memo=memo, order=order
        )


def _ledger_write(
    account: Account,
    locked: Account,
    amount: int,
    *,
    transaction_type: int,
    memo: str,
    order: Order | None,
    writes: sql.Writes[Order] | None = None,
) -> TransactionRecord:
    """The balance moved and its ledger row (two statements, or two of `writes`), `locked`
    holding the current balance. 1042 below zero, 1002 past the largest balance (a 贝里 given
    back to an account that staff credited up to it), before anything is written."""
    delta = amount if transaction_type in TransactionRecord.CREDITS else -amount
    if locked.balance + delta < 0:
        raise AppError(Codes.PAYMENT_NOT_ENOUGH_BEILI)
    if locked.balance + delta > MAX_BALANCE:
        raise AppError(Codes.MALFORMED, BALANCE_TOO_LARGE)
    move = ("UPDATE course_account SET balance = balance + %s WHERE id = %s", [delta, locked.pk])
    new_balance = locked.balance + delta
    account.balance = new_balance
    record = TransactionRecord(
        account_id=locked.pk,
        amount=amount,
        balance=new_balance,
        transaction_type=transaction_type,
        transaction_number=new_serial("T"),
        order=order,
        memo=memo[:128] or None,
    )
    if writes is not None:
        writes.execute(*move, rows=[("course_account", locked.pk)])  # one move an account
        writes.insert([record])
        return record
    sql.execute(*move)
    return sql.insert(record)


# The largest balance an account may hold (the column is a 32-bit integer).
MAX_BALANCE = 2_147_483_647
BALANCE_TOO_LARGE = "余额将超出上限 / the balance would be too large"


def beili_adjust(*, account_id: int, amount: int, memo: str) -> TransactionRecord:
    """Staff credit (amount > 0, 收入) or debit (amount < 0, 支出) 贝里 with a memo (admin action).

    One ledger row like every change; a debit below zero is 1042 and a credit past the largest
    balance is 1002, and neither changes anything."""
    memo = (memo or "").strip()
    if not memo:
        raise AppError(Codes.MALFORMED, "须填写备注 / a memo is required")
    if not amount:
        raise AppError(Codes.MALFORMED, "数量不能为0 / amount must not be 0")
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account_id)
        return beili_change(
            account=account,
            amount=abs(amount),
            transaction_type=TransactionRecord.TYPE_INCOME
            if amount > 0
            else TransactionRecord.TYPE_SPEND,
            memo=f"人工调整: {memo}",
        )
