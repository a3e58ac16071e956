"""Model signals of the pay app: a change of a coupon record's status or end, or of its rule,
moves its account's coupon-records version on once committed (pay/records_version.py), so that
a settlement's kept coupon check is asked again. Saves and deletes go through here (staff in the
admin); the services' queryset updates (payment, giving coupons back, the expiry job) move it on
themselves."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from pay.models import Coupon, CouponRecord
from pay.records_version import records_changed


@receiver(post_save, sender=CouponRecord)
def _record_saved(sender, instance, created=False, **kwargs):
    # a new record is in no settlement's kept check (a check covers the record ids it asked of)
    if not created:
        records_changed([instance.account_id])


@receiver(post_delete, sender=CouponRecord)
def _record_deleted(sender, instance, **kwargs):
    records_changed([instance.account_id])


@receiver(post_save, sender=Coupon)
def _rule_saved(sender, instance, created=False, **kwargs):
    # its dates or days give every record of it its end
    if not created:
        holders = CouponRecord.objects.filter(coupon_id=instance.pk).values_list("account_id")
        records_changed(account_id for (account_id,) in holders.distinct())
