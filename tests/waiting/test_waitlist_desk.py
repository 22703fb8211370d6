"""F7: the registrar puts a patient of the records on the waiting list (a practitioner or a
specialization, a range of days); the waiting-list messages are worded by the provider."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from terminarz.booking.services import cancel_appointment_by_patient
from terminarz.core.models import AuditEntry
from terminarz.notifications.services import save_message_template
from terminarz.patients.services import match_or_create_patient
from terminarz.waiting.models import WaitlistEntry, WaitlistOffer
from tests.clinic.test_access import make_user
from tests.waiting.test_waitlist import full  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, full):  # noqa: F811
    rachel = make_user("rachel", full["provider"], "registrar")
    client.force_login(rachel)
    basia = match_or_create_patient(
        full["provider"], first_name="Basia", last_name="Rezerwowa", email="basia@example.com", phone="", pesel=""
    )
    return {**full, "rachel": rachel, "basia": basia}


def add(client, desk, **over):
    data = {"patient": desk["basia"].pk, "practitioner": desk["practitioner"].pk, **over}
    return client.post(reverse("clinic:waitlist-add"), data)


def test_the_registrar_finds_a_patient_and_puts_them_on_the_list(client, desk, django_capture_on_commit_callbacks):
    page = client.get(reverse("clinic:waitlist-add"), {"q": "Rezerwowa"}).content.decode()
    assert f'name="patient" value="{desk["basia"].pk}"' in page and "Lekarz" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = add(client, desk, after="2026-11-21", before="2026-11-30")
    assert response.status_code == 302 and response.url == reverse("clinic:queues")
    entry = WaitlistEntry.objects.get()
    assert (entry.patient, entry.practitioner, entry.after, entry.before, entry.status, entry.email) == (
        desk["basia"],
        desk["practitioner"],
        dt.date(2026, 11, 21),
        dt.date(2026, 11, 30),
        "waiting",
        "basia@example.com",
    )
    assert mail.outbox[-1].to == ["basia@example.com"] and "listę rezerwową" in mail.outbox[-1].subject
    audit = AuditEntry.objects.get(action="waitlist.added")
    assert audit.actor == desk["rachel"] and "Basia" not in audit.summary
    listed = client.get(reverse("clinic:queues")).content.decode()
    assert "Basia Rezerwowa" in listed and "od 21.11.2026" in listed


@pytest.mark.parametrize(
    "over, message",
    [
        ({"practitioner": ""}, "Wybierz lekarza albo specjalizację."),
        ({"after": "2026-11-25", "before": "2026-11-22"}, "Data końcowa nie może być wcześniejsza niż początkowa."),
        ({"before": "2026-11-01"}, "Ten dzień już minął."),
        ({"patient": ""}, "Wybierz pacjenta."),
        ({"patient": "999999"}, "Wybierz pacjenta."),
    ],
    ids=["no-target", "range-reversed", "past", "no-patient", "unknown-patient"],
)
def test_the_form_says_what_is_missing_and_saves_nothing(client, desk, over, message):
    response = add(client, desk, **over)
    assert response.status_code == 422 and message in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_a_slot_before_the_wanted_days_is_not_offered(client, desk, django_capture_on_commit_callbacks):
    tomorrow = desk["visits"][-1]  # the fixture's slots run today and tomorrow
    add(client, desk, after=(tomorrow.start.date() + dt.timedelta(days=1)).isoformat())
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_patient(tomorrow.pk, tomorrow.cancel_token)
    assert not WaitlistOffer.objects.exists()


def test_the_provider_words_the_offer_e_mail(client, desk, django_capture_on_commit_callbacks):
    save_message_template(
        desk["provider"],
        actor=desk["rachel"],
        kind="waitlist_offer",
        channel="email",
        subject="Zwolnił się termin u {lekarz}",
        body="Pani/Panie {nazwisko}, wolny termin {data} o {godzina}. Czeka do {oferta_do}: {link_oferty}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        add(client, desk)
        freed = desk["visits"][1]
        cancel_appointment_by_patient(freed.pk, freed.cancel_token)
    sent = next(m for m in mail.outbox if m.to == ["basia@example.com"] and "Zwolnił się termin u" in m.subject)
    assert sent.subject == f"Zwolnił się termin u {desk['practitioner'].full_name}"
    assert re.fullmatch(
        r"Pani/Panie Rezerwowa, wolny termin \w+, \d+ \w+ 2026 o \d\d:\d\d\. Czeka do \d\d:\d\d: "
        r"http://[^ ]+/lista-rezerwowa/oferta/[^ ]+/",
        sent.body.strip(),
    )


def test_waiting_list_messages_are_on_the_template_page(client, desk):
    admin = make_user("ada", desk["provider"], "admin")
    client.force_login(admin)
    page = client.get(reverse("clinic:message-templates")).content.decode()
    for label in (
        "Zapis na listę rezerwową",
        "Propozycja terminu z listy rezerwowej",
        "Termin z listy rezerwowej przyjęty przez inną osobę",
    ):
        assert label in page
