"""The one entry point for the scheduled jobs: time out unpaid orders, expire coupons, clear
expired Idempotency-Keys. Once (for cron or a systemd timer), or forever with --loop."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pay.jobs import JOBS, run_jobs


class Command(BaseCommand):
    help = (
        "Run the scheduled jobs (cancel_expired_orders, expire_coupons, clear_idempotency_keys) "
        "once, or every --interval seconds with --loop. Safe on several hosts at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="run again every --interval s")
        parser.add_argument(
            "--interval",
            type=int,
            default=None,
            help="seconds between rounds with --loop (default SCHEDULE_INTERVAL, 60)",
        )
        parser.add_argument("--only", choices=list(JOBS), action="append", help="run only these")

    def handle(self, *args, loop=False, interval=None, only=None, **options):
        interval = settings.SCHEDULE_INTERVAL if interval is None else interval
        if interval < 1:
            raise CommandError("--interval must be at least 1 second")
        if loop:
            self.stdout.write(f"running the scheduled jobs every {interval} s")
        while True:
            results = run_jobs(only)
            for r in results:
                if loop and r.ok and not r.done:
                    continue  # a quiet round says nothing
                line = f"{r.name}: {r.done} done, {r.failed} failed"
                if r.error:
                    line += f", stopped: {r.error}"
                self.stdout.write(line)
            if not loop:
                if not all(r.ok for r in results):
                    raise CommandError("some scheduled work failed (see the log)")
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return
