"""Time out unpaid orders (scheduled; safe on several hosts at once): coupons and 贝里 come back."""

from django.core.management.base import BaseCommand, CommandError

from pay.order_services import orders_cancel_expired


class Command(BaseCommand):
    help = "Cancel (status 5, 超时取消) unpaid orders older than ORDER_PAY_TIMEOUT seconds."

    def handle(self, *args, **options):
        done, failed = orders_cancel_expired()
        self.stdout.write(f"timed out {done} order(s), {failed} failed")
        if failed:
            raise CommandError(f"{failed} order(s) could not be timed out (see the log)")
