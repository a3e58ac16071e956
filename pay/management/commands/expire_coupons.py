"""Write 已过期 on unused coupon records past their end (cron; safe on several hosts at once)."""

from django.core.management.base import BaseCommand

from pay.services import coupons_expire


class Command(BaseCommand):
    help = "Mark unused coupon records past their effective end as 已过期 (status 2)."

    def handle(self, *args, **options):
        count = coupons_expire()
        self.stdout.write(f"expired {count} coupon record(s)")
