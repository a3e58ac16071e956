"""Idempotent demo data: courses with price policies and accounts with known passwords."""

from django.core.management.base import BaseCommand
from django.db import transaction

from demo import data


class Command(BaseCommand):
    help = "Load (or refresh) the demo courses, accounts and coupons. Safe to run repeatedly."

    def handle(self, *args, **options):
        with transaction.atomic():
            report = data.load()
        for line in report:
            self.stdout.write(line)
