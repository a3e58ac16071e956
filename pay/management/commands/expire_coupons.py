"""Write 已过期 on unused coupon records past their end (scheduled; safe on several hosts)."""

from django.core.management.base import BaseCommand, CommandError

from pay.coupon_expiry import coupons_expire


class Command(BaseCommand):
    help = "Mark unused coupon records past their effective end as 已过期 (status 2)."

    def handle(self, *args, **options):
        done, failed = coupons_expire()
        self.stdout.write(f"expired {done} coupon record(s), {failed} failed")
        if failed:
            raise CommandError(f"{failed} coupon record(s) could not be checked (see the log)")
