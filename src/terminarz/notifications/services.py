"""Outbox: messages are rows written in the caller's transaction, delivered after commit."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation

from terminarz.core import batch, clock
from terminarz.core.audit import record_audit

from .models import Message, MessageStatus, MessageTemplate
from .registry import build_attachments, build_context, delivery_refusal
from .sms import normalize_phone, send_sms, to_gsm
from .templating import EDITABLE, context_values, render_custom

# Messages to the clinic's staff (always in Polish, whatever language the patient used).
CLINIC_KINDS = frozenset({"booking_clinic_notice"})

log = logging.getLogger(__name__)
STUCK_AFTER = dt.timedelta(minutes=10)


def queue_email(
    *, provider, kind: str, recipient: str, template: str, context: dict, idempotency_key: str, patient=None
) -> Message:
    """Store an e-mail to send (context holds ids, rendered by the worker); delivery is
    triggered when the transaction commits. The same idempotency key never makes a second one."""
    return _queue(
        channel=Message.Channel.EMAIL,
        provider=provider,
        kind=kind,
        recipient=recipient,
        template=template,
        context=context,
        idempotency_key=idempotency_key,
        patient=patient,
    )


def queue_sms(
    *, provider, kind: str, phone: str, template: str, context: dict, idempotency_key: str, patient=None
) -> Message | None:
    """Store an SMS (text rendered by the worker from `{template}_sms.txt`); None when the
    number cannot receive one."""
    number = normalize_phone(phone)
    if number is None:
        return None
    return _queue(
        channel=Message.Channel.SMS,
        provider=provider,
        kind=kind,
        recipient=number,
        template=template,
        context=context,
        idempotency_key=idempotency_key,
        patient=patient,
    )


def queue_email_and_sms(
    *,
    provider,
    kind: str,
    template: str,
    context: dict,
    key: str,
    email: str = "",
    phone: str = "",
    patient=None,
) -> None:
    """One message kind to one person: the e-mail (idempotency key `key`) when there is an
    address and the SMS (`sms:key`, rendered from `{template}_sms.txt`) when there is a phone."""
    if email:
        queue_email(
            provider=provider,
            kind=kind,
            recipient=email,
            template=template,
            context=context,
            idempotency_key=key,
            patient=patient,
        )
    if phone:
        queue_sms(
            provider=provider,
            kind=kind,
            phone=phone,
            template=template,
            context=context,
            idempotency_key=f"sms:{key}",
            patient=patient,
        )


def _queue(*, channel, provider, kind, recipient, template, context, idempotency_key, patient) -> Message:
    """One INSERT … ON CONFLICT DO NOTHING (with the request's other rows when they are
    collected, core.batch); the message already there is returned when the key is taken."""
    message = Message(
        idempotency_key=idempotency_key,
        channel=channel,
        provider=provider,
        kind=kind,
        recipient=recipient,
        template=template,
        context=context,
        patient=patient,
        next_attempt_at=clock.now(),
    )
    batch.insert(message, skip_if_exists_on=("idempotency_key",))

    def deliver() -> None:
        if message.pk is not None:  # None: the key was taken, that message is on its way
            _enqueue_delivery(message.pk)

    transaction.on_commit(deliver)
    if message.pk is None and not batch.collecting():
        return Message.objects.get(idempotency_key=idempotency_key)
    return message


def queue_prepared(
    *,
    channel: str,
    provider,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    html_body: str,
    idempotency_key: str,
    patient=None,
    not_before: dt.datetime | None = None,
) -> Message:
    """A message written by the caller (a marketing campaign, I2) to send at `not_before` at the
    earliest: many of them are spread over time, and the worker sends each when it is due."""
    now = clock.now()
    due = max(not_before or now, now)
    text = to_gsm(" ".join(body.split()))[:640] if channel == Message.Channel.SMS else body
    message, created = Message.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "channel": channel,
            "provider": provider,
            "kind": kind,
            "recipient": recipient,
            "subject": subject[:250] if channel == Message.Channel.EMAIL else "",
            "body": text,
            "html_body": html_body if channel == Message.Channel.EMAIL else "",
            "patient": patient,
            "next_attempt_at": due,
        },
    )
    if created:
        transaction.on_commit(lambda: _enqueue_delivery(message.pk, run_after=due if due > now else None))
    return message


def queue_rendered_email(
    *, kind: str, recipient: str, subject: str, body: str, html_body: str, idempotency_key: str, provider=None
) -> Message:
    """Store an e-mail rendered by the caller (account e-mails from allauth); delivered by the
    worker like the rest, after the transaction commits."""
    message, created = Message.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "provider": provider,
            "kind": kind,
            "recipient": recipient,
            "subject": subject[:250],
            "body": body,
            "html_body": html_body,
            "next_attempt_at": clock.now(),
        },
    )
    if created:
        transaction.on_commit(lambda: _enqueue_delivery(message.pk))
    return message


def _custom_template(message: Message) -> MessageTemplate | None:
    if not message.provider_id or (message.kind, message.channel) not in EDITABLE:
        return None
    return MessageTemplate.objects.filter(
        provider_id=message.provider_id, kind=message.kind, channel=message.channel
    ).first()


def render_message(message: Message) -> tuple[str, str, str]:
    context = {**build_context(message.kind, message.context), "SITE_URL": str(settings.SITE_URL).rstrip("/")}
    # A message about a visit is written in the language the patient booked in (messages to
    # the clinic are not about one patient's visit in this sense and stay Polish).
    language = getattr(context.get("appointment"), "language", None) if message.kind not in CLINIC_KINDS else None
    if not isinstance(language, str) or language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        return _render(message, context, language)


def _render(message: Message, context: dict, language: str) -> tuple[str, str, str]:
    # A clinic's own wording of a message is Polish: patients who chose another language get
    # the translated standard text instead.
    custom = _custom_template(message) if language == settings.LANGUAGE_CODE else None
    values = context_values(context, context["SITE_URL"]) if custom is not None else None
    if custom is not None and values is not None:
        rendered = render_custom(custom, values)
        if message.channel == Message.Channel.SMS:
            return "", to_gsm(" ".join(rendered.body.split()))[:640], ""
        subject = rendered.subject or " ".join(render_to_string(f"{message.template}_subject.txt", context).split())
        return subject[:250], rendered.body, rendered.html_body
    if message.channel == Message.Channel.SMS:
        text = render_to_string(f"{message.template}_sms.txt", context)
        return "", to_gsm(" ".join(text.split()))[:640], ""
    subject = " ".join(render_to_string(f"{message.template}_subject.txt", context).split())
    body = render_to_string(f"{message.template}.txt", context)
    html_body = render_to_string(f"{message.template}.html", context)
    return subject[:250], body, html_body


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
    refusal = delivery_refusal(message)
    if refusal:
        Message.objects.filter(pk=message_id).update(status=MessageStatus.FAILED, last_error=refusal[:500])
        return "withheld"
    attempts = message.attempts + 1
    try:
        if not message.body:
            message.subject, message.body, message.html_body = render_message(message)
            Message.objects.filter(pk=message_id).update(
                subject=message.subject, body=message.body, html_body=message.html_body
            )
        if message.channel == Message.Channel.SMS:
            result = send_sms(to=message.recipient, text=message.body, idempotency_key=message.idempotency_key)
            Message.objects.filter(pk=message_id).update(
                status=MessageStatus.SENT,
                attempts=attempts,
                sent_at=now,
                last_error="",
                external_id=result.external_id,
                delivery_status=result.status,
            )
            return "sent"
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={"X-Terminarz-Message": message.idempotency_key},
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        attachments = build_attachments(message.kind, message.context) if message.template else []
        for filename, content, mimetype in attachments:
            email.attach(filename, content, mimetype)
        email.send()
    except Exception as exc:  # any transport error: retry later (a permanent SMS error: give up)
        failed = attempts >= settings.MESSAGE_MAX_ATTEMPTS or bool(getattr(exc, "permanent", False))
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


# -- the provider's own wording (I1 templates) ---------------------------------------------


def save_message_template(provider, *, actor, kind: str, channel: str, subject: str, body: str) -> MessageTemplate:
    """The provider's text of one editable message (checked placeholders: `templating.check`);
    used from the next message on."""
    with transaction.atomic():
        template, _created = MessageTemplate.objects.update_or_create(
            provider=provider, kind=kind, channel=channel, defaults={"subject": subject, "body": body}
        )
        record_audit(
            provider_id=provider.pk,
            action="messages.template_changed",
            target=provider,
            summary=f"Zmieniono treść wiadomości: {EDITABLE[(kind, channel)]} ({channel})",
            actor=actor,
        )
    return template


def reset_message_template(provider, *, actor, kind: str, channel: str) -> bool:
    """Back to the default text; False when the provider had none of its own."""
    with transaction.atomic():
        deleted, _rows = MessageTemplate.objects.filter(provider=provider, kind=kind, channel=channel).delete()
        if not deleted:
            return False
        record_audit(
            provider_id=provider.pk,
            action="messages.template_reset",
            target=provider,
            summary=f"Przywrócono domyślną treść: {EDITABLE[(kind, channel)]} ({channel})",
            actor=actor,
        )
    return True
