import datetime as dt
from unittest import mock

import pytest
from django.core import mail

from terminarz.notifications.models import Message
from terminarz.notifications.registry import register_context
from terminarz.notifications.services import deliver_due_messages, deliver_message, queue_email
from tests.conftest import FROZEN_NOW

pytestmark = pytest.mark.django_db


@register_context("test_message")
def _test_context(stored):
    appointment = mock.Mock(first_name=stored["name"], reference="ABC", start=FROZEN_NOW, pk=1)
    appointment.practitioner.full_name = "dr X"
    return {"appointment": appointment}


def make_message(key="k1"):
    return queue_email(
        provider=None,
        kind="test_message",
        recipient="a@example.com",
        template="booking/email/cancelled",
        context={"name": "Ala"},
        idempotency_key=key,
    )


def test_same_idempotency_key_queues_one_message(frozen):
    assert make_message().pk == make_message().pk
    assert Message.objects.count() == 1


def test_failed_send_is_retried_with_backoff_then_sent(frozen):
    message = make_message()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("smtp down")):
        assert deliver_message(message.pk) == "retry"
    message.refresh_from_db()
    assert message.status == "pending" and message.attempts == 1 and "OSError" in message.last_error
    assert deliver_message(message.pk) == "skipped"  # not due yet
    frozen.shift(dt.timedelta(minutes=2))
    assert deliver_due_messages() == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2
    assert len(mail.outbox) == 1
    assert "Dzień dobry,\n\nWizyta ABC" in mail.outbox[0].body and message.subject == mail.outbox[0].subject
    assert deliver_message(message.pk) == "skipped"  # never sent twice


def test_message_fails_for_good_after_max_attempts(frozen, settings):
    settings.MESSAGE_MAX_ATTEMPTS = 2
    message = make_message()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("x")):
        deliver_message(message.pk)
        frozen.shift(dt.timedelta(hours=2))
        assert deliver_message(message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == "failed"


def test_message_stuck_in_sending_after_a_crash_is_picked_up(frozen):
    message = make_message()
    Message.objects.filter(pk=message.pk).update(status="sending", next_attempt_at=FROZEN_NOW)
    assert deliver_due_messages() == 0
    frozen.shift(dt.timedelta(minutes=11))
    assert deliver_due_messages() == 1
