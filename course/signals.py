"""Model signals of the course app:

- the cached catalogue (course/catalogue.py) is invalidated when a course or a price changes;
- an account's login tokens are re-checked against its row (utils/token_store.py) when its
  password, token generation or active flag changes, or it is deleted.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from course.catalogue import catalogue_changed
from course.models import Account, Course, PricePolicy
from utils.token_store import account_created, account_tokens_changed

# What an account's token stamp depends on (utils/token_store.py: account_stamp, current_stamp).
TOKEN_FIELDS = frozenset(["password", "token_generation", "is_active"])


@receiver([post_save, post_delete], sender=Course)
@receiver([post_save, post_delete], sender=PricePolicy)
def _catalogue_changed(sender, **kwargs):
    # Now, and again once the change is visible to other connections (a reader between the two
    # may have cached the old rows under the generation this first bump made current).
    catalogue_changed()
    transaction.on_commit(catalogue_changed)


def _changes_tokens(instance, update_fields) -> bool:
    # A save that names its fields and none of these (e.g. `last_login`) leaves the stamp alone.
    return not instance._state.adding and (
        update_fields is None or bool(TOKEN_FIELDS & set(update_fields))
    )


@receiver(pre_save, sender=Account)
def _account_saving(sender, instance, update_fields=None, using=None, **kwargs):
    # Redis hears of the change before the row changes: if it cannot be reached, the save fails
    # and nothing changes. (A save in autocommit, as the admin's password form does, is committed
    # before post_save: a change Redis never heard of would leave the old stamp there, and every
    # old token working, for up to STAMP_TTL_SECONDS.) post_save writes the stamp's tombstones
    # again once the row has changed.
    if _changes_tokens(instance, update_fields):
        account_tokens_changed(instance.pk, using=using)


@receiver(post_save, sender=Account)
def _account_saved(sender, instance, created=False, update_fields=None, using=None, **kwargs):
    if created:  # no token of it exists; forget what an earlier account of this id left
        account_created(instance.pk)
    elif _changes_tokens(instance, update_fields):
        account_tokens_changed(instance.pk, using=using)


@receiver(post_delete, sender=Account)
def _account_deleted(sender, instance, using=None, **kwargs):
    account_tokens_changed(instance.pk, using=using)
