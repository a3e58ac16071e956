"""Delete payment Idempotency-Keys past their 24 hours (cron; safe on several hosts at once)."""

from django.core.management.base import BaseCommand

from pay.payment_services import idempotency_keys_clear


class Command(BaseCommand):
    help = "Delete Idempotency-Keys older than 24 hours (payments no longer repeat their answer)."

    def handle(self, *args, **options):
        count = idempotency_keys_clear()
        self.stdout.write(f"deleted {count} idempotency key(s)")
