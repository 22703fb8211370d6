"""Outbox: messages are rows written in the caller's transaction, delivered after commit."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string

from terminarz.core import clock

from .models import Message, MessageStatus

log = logging.getLogger(__name__)
STUCK_AFTER = dt.timedelta(minutes=10)


def queue_email(*, provider, kind: str, recipient: str, template: str, context: dict, idempotency_key: str) -> Message:
    """Render and store an e-mail; delivery is triggered when the transaction commits.
    The same idempotency key never produces a second message."""
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    context = {**context, "SITE_URL": settings.SITE_URL.rstrip("/")}
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    body = render_to_string(f"{template}.txt", context)
    html_body = render_to_string(f"{template}.html", context)
    message = Message.objects.create(
        provider=provider,
        kind=kind,
        recipient=recipient,
        subject=subject,
        body=body,
        html_body=html_body,
        idempotency_key=idempotency_key,
        next_attempt_at=clock.now(),
    )
    transaction.on_commit(lambda: _enqueue_delivery(message.pk))
    return message


def _enqueue_delivery(message_id: int, run_after: dt.datetime | None = None) -> None:
    from .tasks import deliver_message_task

    task = deliver_message_task
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    elif run_after is not None:
        return  # the periodic sweep picks it up when due
    task.enqueue(message_id)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def deliver_message(message_id: int, *, now: dt.datetime | None = None) -> str:
    """Claim a due message (conditional update), send it, record the outcome."""
    now = now or clock.now()
    claimed = Message.objects.filter(
        Q(status=MessageStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=MessageStatus.SENDING, next_attempt_at__lte=now - STUCK_AFTER),
        pk=message_id,
    ).update(status=MessageStatus.SENDING, next_attempt_at=now)
    if claimed != 1:
        return "skipped"
    message = Message.objects.get(pk=message_id)
    attempts = message.attempts + 1
    try:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={"X-Terminarz-Message": message.idempotency_key},
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        email.send()
    except Exception as exc:  # any transport error: retry later
        failed = attempts >= settings.MESSAGE_MAX_ATTEMPTS
        next_at = now + backoff(attempts)
        Message.objects.filter(pk=message_id).update(
            status=MessageStatus.FAILED if failed else MessageStatus.PENDING,
            attempts=attempts,
            next_attempt_at=next_at,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
        )
        log.warning("message %s delivery attempt %s failed: %s", message_id, attempts, type(exc).__name__)
        if not failed:
            _enqueue_delivery(message_id, run_after=next_at)
        return "failed" if failed else "retry"
    Message.objects.filter(pk=message_id).update(
        status=MessageStatus.SENT, attempts=attempts, sent_at=now, last_error=""
    )
    return "sent"


def deliver_due_messages(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Sweep: deliver pending messages whose time has come (a lost enqueue loses nothing)."""
    now = now or clock.now()
    due = Message.objects.filter(
        Q(status=MessageStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=MessageStatus.SENDING, next_attempt_at__lte=now - STUCK_AFTER)
    ).values_list("pk", flat=True)[:limit]
    return sum(1 for pk in list(due) if deliver_message(pk, now=now) == "sent")
