"""Idempotent demo data: courses with price policies and accounts with known passwords."""

from django.core.management.base import BaseCommand
from django.db import transaction

from course import demo


class Command(BaseCommand):
    help = "Load (or refresh) the demo courses, accounts and coupons. Safe to run repeatedly."

    def handle(self, *args, **options):
        with transaction.atomic():
            report = demo.load()
        for line in report:
            self.stdout.write(line)
