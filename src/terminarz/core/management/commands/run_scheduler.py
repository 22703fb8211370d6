import time

from django.core.management.base import BaseCommand

from terminarz.core.periodic import enqueue_due_jobs
from terminarz.core.tenancy import system_task


class Command(BaseCommand):
    help = "Enqueue periodic tasks (slot horizon, message sweep, hold expiry) when due."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=10.0)
        parser.add_argument("--once", action="store_true")

    @system_task
    def handle(self, *args, interval: float, once: bool, **options):
        while True:
            for name in enqueue_due_jobs():
                self.stdout.write(f"enqueued {name}")
            if once:
                return
            time.sleep(interval)
