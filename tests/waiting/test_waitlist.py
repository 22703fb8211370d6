"""F7 waiting list: freed slots are offered in order with a held slot and a time limit; the
first to accept books it; the others are told it is gone; NFZ queue in the back-office."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from terminarz.booking.models import Appointment
from terminarz.booking.services import book_appointment, cancel_appointment_by_patient
from terminarz.scheduling.models import Slot, SlotState
from terminarz.waiting import services
from terminarz.waiting.models import WaitlistEntry, WaitlistOffer
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def full(today):
    """A practitioner whose slots for the next days are all booked."""
    provider, unit, practitioner, schedule = clinic(today=today, days=2)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    visits = [book_appointment(s.pk, {**PATIENT, "email": f"p{i}@example.com"}) for i, s in enumerate(slots)]
    return {"provider": provider, "practitioner": practitioner, "slots": slots, "visits": visits}


def join(client, practitioner, name, email):
    return client.post(
        reverse("waitlist-join") + f"?lekarz={practitioner.pk}",
        {"first_name": name, "last_name": "Czekająca", "email": email, "phone": ""},
    )


def offer_link(email: str) -> str:
    sent = [m for m in mail.outbox if m.to == [email] and "Zwolnił się termin" in m.subject][-1]
    return re.search(r"/lista-rezerwowa/oferta/[^\s]+/", sent.body).group(0)


def test_join_and_leave(client, full, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = join(client, full["practitioner"], "Ala", "ala@example.com")
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get()
    assert entry.status == "waiting" and entry.email == "ala@example.com"
    assert "listę rezerwową" in mail.outbox[-1].subject
    page = client.get(response.url)
    assert "Jesteś na liście rezerwowej" in page.content.decode()
    client.post(reverse("waitlist-entry", args=[entry.pk]), {"t": entry.token})
    entry.refresh_from_db()
    assert entry.status == "cancelled"
    assert client.get(reverse("waitlist-entry", args=[entry.pk]), {"t": "zly"}).status_code == 404


def test_join_form_errors(client, full):
    response = client.post(
        reverse("waitlist-join") + f"?lekarz={full['practitioner'].pk}",
        {"first_name": "", "last_name": "X", "email": "zly", "before": "2020-01-01"},
    )
    html = response.content.decode()
    assert response.status_code == 422 and "Podaj imię." in html and "Data nie może być z przeszłości." in html
    assert not WaitlistEntry.objects.exists()


def test_freed_slot_goes_to_the_first_who_accepts(client, full, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        join(client, full["practitioner"], "Ala", "ala@example.com")
        join(client, full["practitioner"], "Ola", "ola@example.com")
    freed = full["visits"][2]
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_patient(freed.pk, freed.cancel_token)
    slot = Slot.objects.get(pk=freed.slot_id)
    assert slot.state == SlotState.HELD  # held for the waiting patients, not on the portal
    assert WaitlistOffer.objects.filter(slot=slot, status="offered").count() == 2
    ala_link, ola_link = offer_link("ala@example.com"), offer_link("ola@example.com")

    # Ola is faster.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ola_link, {"first_name": "Ola", "last_name": "Czekająca", "email": "ola@example.com"})
    assert response.status_code == 302
    visit = Appointment.objects.get(slot=slot, status="confirmed")
    assert visit.email == "ola@example.com"
    assert WaitlistEntry.objects.get(first_name="Ola").status == "booked"
    # Ala is told it is gone, by e-mail and on the link.
    assert any(m.to == ["ala@example.com"] and "został już zajęty" in m.subject for m in mail.outbox)
    late = client.post(ala_link, {"first_name": "Ala", "last_name": "Czekająca", "email": "ala@example.com"})
    assert late.status_code == 409 and "Ten termin został już zajęty" in late.content.decode()
    assert WaitlistEntry.objects.get(first_name="Ala").status == "waiting"


def test_unanswered_offer_expires_and_the_slot_is_free_again(client, full, frozen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        join(client, full["practitioner"], "Ala", "ala@example.com")
    freed = full["visits"][3]
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_patient(freed.pk, freed.cancel_token)
    link = offer_link("ala@example.com")
    frozen.shift(dt.timedelta(minutes=31))
    from terminarz.scheduling.search import open_slots

    assert open_slots(FROZEN_NOW + dt.timedelta(minutes=31)).filter(pk=freed.slot_id).exists()
    response = client.post(link, {"first_name": "Ala", "last_name": "Czekająca", "email": "ala@example.com"})
    assert response.status_code == 410 and "Czas na przyjęcie terminu minął" in response.content.decode()
    # The same slot is not offered to her again by the periodic match.
    services.match_waitlist()
    assert WaitlistOffer.objects.filter(entry__first_name="Ala").count() == 1


def test_periodic_match_offers_new_slots_in_order(client, today, full, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        join(client, full["practitioner"], "Ala", "ala@example.com")
    assert services.match_waitlist() == 0  # nothing free
    from terminarz.scheduling.services import generate_slots

    schedule = full["slots"][0].schedule
    schedule.valid_to = None
    generate_slots(schedule, start_day=today, end_day=today + dt.timedelta(days=4))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.match_waitlist() == 1
    offer = WaitlistOffer.objects.get()
    assert offer.slot.start > full["slots"][-1].start
    assert "Zwolnił się termin" in mail.outbox[-1].subject


def test_waitlist_for_a_specialization_and_before_a_date(client, full, django_capture_on_commit_callbacks):
    entry = services.join_waitlist(
        full["provider"],
        specialization=full["practitioner"].specializations.first(),
        before=FROZEN_NOW.date(),  # only today
        data={"first_name": "Ela", "last_name": "X", "email": "ela@example.com"},
    )
    tomorrow_visit = next(v for v in full["visits"] if v.start.date() > FROZEN_NOW.date())
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_patient(tomorrow_visit.pk, tomorrow_visit.cancel_token)
    assert not WaitlistOffer.objects.filter(entry=entry).exists()


def test_registrar_manages_the_nfz_queue(client, today):
    from terminarz.core.models import AuditEntry
    from terminarz.patients.services import match_or_create_patient
    from terminarz.waiting.models import QueueEntry
    from tests.clinic.test_access import make_user
    from tests.factories import VALID_PESEL

    provider, unit, _, _ = clinic(today=today, days=1)
    patient = match_or_create_patient(
        provider, first_name="Jan", last_name="Kowalski", email="", phone="", pesel=VALID_PESEL
    )
    client.force_login(make_user("rachel", provider, "registrar"))
    page = client.get(reverse("clinic:queues"), {"q": VALID_PESEL}).content.decode()
    assert f'value="{patient.pk}"' in page
    bad = client.post(reverse("clinic:queues"), {"unit": unit.pk, "category": "urgent"})
    assert bad.status_code == 422 and "Wybierz pacjenta." in bad.content.decode()
    client.post(
        reverse("clinic:queues"), {"patient": patient.pk, "unit": unit.pk, "category": "urgent", "note": "skierowanie"}
    )
    entry = QueueEntry.objects.get()
    assert entry.category == "urgent" and entry.status == "waiting"
    client.post(reverse("clinic:queue-entry", args=[entry.pk]), {"status": "removed", "category": "urgent"})
    entry.refresh_from_db()
    assert entry.status == "removed"
    assert AuditEntry.objects.filter(action__startswith="queue.").count() == 2
    listing = client.get(reverse("clinic:queues"), {"category": "urgent"}).content.decode()
    assert "Kowalski" in listing


def test_practitioner_sees_queues_but_cannot_change_them(client, today):
    from tests.clinic.test_access import make_user

    provider, unit, _, _ = clinic(today=today, days=1)
    client.force_login(make_user("doc", provider, "practitioner"))
    assert client.get(reverse("clinic:queues")).status_code == 200
    assert client.post(reverse("clinic:queues"), {"unit": unit.pk}).status_code == 403


def test_accepting_twice_keeps_the_booking(client, full, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        join(client, full["practitioner"], "Ala", "ala@example.com")
    freed = full["visits"][1]
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_patient(freed.pk, freed.cancel_token)
    offer = WaitlistOffer.objects.get()
    data = {
        "first_name": "Ala",
        "last_name": "Czekająca",
        "email": "ala@example.com",
        "phone": "",
        "pesel": "",
        "note": "",
    }
    first = services.accept_offer(offer.token, data)
    again = services.accept_offer(offer.token, data)
    assert first.pk == again.pk
    offer.refresh_from_db()
    assert offer.status == "accepted"
