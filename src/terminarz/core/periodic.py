"""Periodic jobs: the scheduler enqueues each one when its interval has passed.
A run is claimed with a conditional update, so two schedulers never double-enqueue."""

import datetime as dt

from django.db.models import Q
from django.utils.module_loading import import_string

from . import clock
from .models import PeriodicRun

JOBS: list[tuple[str, int, str]] = [
    ("extend_slot_horizon", 24 * 3600, "terminarz.scheduling.tasks.extend_slot_horizon_task"),
    ("deliver_due_messages", 60, "terminarz.notifications.tasks.deliver_due_messages_task"),
    ("expire_holds", 60, "terminarz.booking.tasks.expire_holds_task"),
    ("send_reminders", 300, "terminarz.booking.tasks.send_reminders_task"),
    ("match_waitlist", 300, "terminarz.waiting.tasks.match_waitlist_task"),
    ("expire_unpaid", 60, "terminarz.payments.tasks.expire_unpaid_task"),
    ("payment_reminders", 300, "terminarz.payments.tasks.payment_reminders_task"),
    ("integration_contact", 300, "terminarz.integrations.tasks.check_connections_task"),
    ("webhook_deliveries", 60, "terminarz.integrations.tasks.deliver_due_webhooks_task"),
    ("purge_api_tokens", 24 * 3600, "terminarz.integrations.tasks.purge_tokens_task"),
    ("purge_stale_drafts", 24 * 3600, "terminarz.onboarding.tasks.purge_stale_drafts_task"),
    ("expire_subscriptions", 3600, "terminarz.subscriptions.tasks.expire_subscriptions_task"),
    ("subscription_warnings", 3600, "terminarz.subscriptions.tasks.subscription_warnings_task"),
    ("subscription_invoices", 3600, "terminarz.subscriptions.tasks.issue_missing_invoices_task"),
]


def enqueue_due_jobs(*, now: dt.datetime | None = None) -> list[str]:
    now = now or clock.now()
    started = []
    for name, interval, task_path in JOBS:
        PeriodicRun.objects.get_or_create(name=name)
        claimed = PeriodicRun.objects.filter(
            Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - dt.timedelta(seconds=interval)),
            name=name,
        ).update(last_run_at=now)
        if claimed:
            import_string(task_path).enqueue()
            started.append(name)
    return started
