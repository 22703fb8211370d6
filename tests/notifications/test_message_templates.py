"""I1: provider-worded messages with safe placeholders, preview, and the message logs."""

import pytest
from django.core import mail
from django.urls import reverse

from terminarz.booking.services import book_appointment, cancel_appointment_by_clinic
from terminarz.core.models import AuditEntry
from terminarz.notifications.models import Message, MessageTemplate
from terminarz.notifications.templating import TemplateError, check
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client, today):
    provider, _, _, schedule = clinic(today=today, days=3)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    admin = make_user("alice", provider, "admin")
    client.force_login(admin)
    return {"provider": provider, "slot": slot, "admin": admin}


@pytest.mark.parametrize(
    "text",
    [
        "{appointment.cancel_token}",
        "{imie.__class__}",
        "{0}",
        "{imie!r}",
        "{imie:>10}",
        "{nieznane}",
        "otwarty { nawias",
    ],
)
def test_only_plain_known_placeholders_are_allowed(text):
    with pytest.raises(TemplateError):
        check(text)


def test_custom_confirmation_is_used_at_delivery(client, world, django_capture_on_commit_callbacks):
    url = reverse("clinic:message-template", args=["booking_confirmation", "email"])
    bad = client.post(url, {"action": "save", "subject": "Wizyta {numer}", "body": "Dzień dobry {pacjent.pesel}"})
    assert bad.status_code == 422 and "Nieznane pole {pacjent.pesel}" in bad.content.decode()
    preview = client.post(
        url, {"action": "preview", "subject": "Wizyta {numer}", "body": "Dzień dobry {imie}, {data} o {godzina}."}
    )
    assert "Dzień dobry Anna, piątek, 27 listopada 2026 o 10:30." in preview.content.decode()
    assert not MessageTemplate.objects.exists()
    client.post(
        url, {"action": "save", "subject": "Wizyta {numer}", "body": "Dzień dobry {imie}, {data} o {godzina}. {lekarz}"}
    )
    assert AuditEntry.objects.filter(action="messages.template_changed").exists()
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(world["slot"].pk, PATIENT)
    sent = mail.outbox[-1]
    assert sent.subject == f"Wizyta {appointment.reference}"
    assert sent.body.startswith("Dzień dobry Jan, ") and appointment.practitioner.full_name in sent.body
    assert "<" not in sent.body
    assert "&lt;" not in sent.alternatives[0][0]


def test_custom_text_is_escaped_in_html(client, world, django_capture_on_commit_callbacks):
    url = reverse("clinic:message-template", args=["booking_confirmation", "email"])
    client.post(url, {"action": "save", "subject": "", "body": "<script>alert(1)</script> {imie}"})
    with django_capture_on_commit_callbacks(execute=True):
        book_appointment(world["slot"].pk, {**PATIENT, "first_name": "<b>Jan</b>"})
    html = mail.outbox[-1].alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;Jan" in html


def test_sms_template_and_reset_to_default(client, world):
    url = reverse("clinic:message-template", args=["booking_cancelled_by_clinic", "sms"])
    too_long = client.post(url, {"action": "save", "body": "x" * 481})
    assert too_long.status_code == 422
    client.post(url, {"action": "save", "body": "{placowka}: wizyta {data} {godzina} odwołana. Powód: {powod}."})
    appointment = book_appointment(world["slot"].pk, PATIENT)
    cancel_appointment_by_clinic(appointment, actor=world["admin"], reason="choroba")
    from terminarz.notifications.services import deliver_message

    sms = Message.objects.get(channel="sms")
    deliver_message(sms.pk)
    sms.refresh_from_db()
    assert sms.body.endswith("odwolana. Powod: choroba.")
    client.post(url, {"action": "reset"})
    assert not MessageTemplate.objects.exists()


def test_unknown_message_kind_is_404_and_registrar_cannot_edit(client, world):
    assert client.get(reverse("clinic:message-template", args=["cokolwiek", "email"])).status_code == 404
    client.force_login(make_user("rachel", world["provider"], "registrar"))
    assert client.get(reverse("clinic:message-templates")).status_code == 403
    assert client.get(reverse("clinic:messages")).status_code == 200


def test_message_log_per_provider_and_patient(client, world, today):
    appointment = book_appointment(world["slot"].pk, PATIENT)
    other_provider, _, _, other_schedule = clinic(today=today, days=2)
    other_slot = Slot.objects.filter(schedule=other_schedule, start__gt=FROZEN_NOW).first()
    book_appointment(other_slot.pk, {**PATIENT, "email": "inny@example.com"})
    log = client.get(reverse("clinic:messages")).content.decode()
    assert "jan.kowalski@example.com" in log and "inny@example.com" not in log
    filtered = client.get(reverse("clinic:messages"), {"channel": "sms"}).content.decode()
    assert "jan.kowalski@example.com" not in filtered
    record = client.get(reverse("clinic:patient", args=[appointment.patient_id])).content.decode()
    assert "potwierdzenie rezerwacji" in record


def test_multi_step_hold_message_can_be_worded_with_its_link(client, world, django_capture_on_commit_callbacks):
    from terminarz.providers.models import settings_for

    rules = settings_for(world["provider"].pk)
    rules.multi_step = True
    rules.save()
    url = reverse("clinic:message-template", args=["booking_hold", "email"])
    client.post(url, {"action": "save", "subject": "Potwierdź {numer}", "body": "Kliknij: {link_potwierdzenia}"})
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(world["slot"].pk, PATIENT)
    sent = mail.outbox[-1]
    assert sent.subject == f"Potwierdź {appointment.reference}"
    assert f"/wizyta/{appointment.pk}/potwierdz/?t={appointment.cancel_token}" in sent.body
