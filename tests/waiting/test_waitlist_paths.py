"""Lista rezerwowa (F7) as a patient sees it, on the portal URLs: joining by specialization and
with a "not later than" date, and every way accepting an offer can fail – expired, taken by
another waiting patient, the patient left the list, unknown link, the desk and the slot."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from terminarz.booking.models import Appointment
from terminarz.booking.services import book_appointment, cancel_appointment_by_patient
from terminarz.patients.services import match_or_create_patient
from terminarz.scheduling.models import Slot, SlotState
from terminarz.scheduling.services import generate_slots
from terminarz.waiting import services
from terminarz.waiting.models import WaitlistEntry, WaitlistOffer
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic, every_day, make_practitioner, make_schedule

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)  # FROZEN_NOW in Warsaw: Friday 10:00
TOMORROW = TODAY + dt.timedelta(days=1)


def book_all(schedule) -> list[Appointment]:
    """Every future slot of the schedule booked by someone else (so the patient has to wait)."""
    slots = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start")
    return [book_appointment(s.pk, {**PATIENT, "email": f"p{s.pk}@example.com"}) for s in slots]


@pytest.fixture
def full(frozen):
    """A provider with two cardiologists and a dermatologist, all fully booked today and tomorrow."""
    provider, unit, cardio, schedule = clinic(today=TODAY, days=2)
    cardio2 = make_practitioner(provider, unit, spec="kardiologia")
    derm = make_practitioner(provider, unit, spec="dermatologia")
    visits = {"cardio": book_all(schedule)}
    for name, practitioner in (("cardio2", cardio2), ("derm", derm)):
        other = make_schedule(practitioner, unit, valid_from=TODAY, blocks=every_day(dt.time(8), dt.time(12)))
        generate_slots(other, start_day=TODAY, end_day=TOMORROW)
        visits[name] = book_all(other)
    return {"provider": provider, "unit": unit, "cardio": cardio, "cardio2": cardio2, "derm": derm, "visits": visits}


def join_url(**query) -> str:
    return reverse("waitlist-join") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def join(client, url: str, name: str, email: str, before: str = ""):
    return client.post(
        url, {"first_name": name, "last_name": "Czekająca", "email": email, "phone": "", "before": before}
    )


def offers_to(email: str) -> list:
    return [m for m in mail.outbox if m.to == [email] and m.subject.startswith("Zwolnił się termin")]


def offer_link(email: str) -> str:
    (offer,) = offers_to(email)
    return re.search(r"/lista-rezerwowa/oferta/[^\s]+/", offer.body).group(0)


def free_up(visit: Appointment, capture) -> Slot:
    """The patient of `visit` cancels it by the link in their e-mail; offers go out on commit."""
    with capture(execute=True):
        cancel_appointment_by_patient(visit.pk, visit.cancel_token)
    return Slot.objects.get(pk=visit.slot_id)


def accept(client, link: str, name: str, email: str):
    return client.post(link, {"first_name": name, "last_name": "Czekająca", "email": email, "phone": ""})


def on_tomorrow(visits: list[Appointment]) -> Appointment:
    return next(v for v in visits if v.start.date() == TOMORROW)


# Joining ------------------------------------------------------------------------------------


def test_join_by_specialization_and_get_a_slot_of_any_practitioner_of_it(
    client, full, django_capture_on_commit_callbacks
):
    url = join_url(specjalizacja="kardiologia", placowka=full["provider"].pk)
    page = client.get(url)
    assert page.status_code == 200
    assert "w specjalizacji <strong>Kardiologia</strong>" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = join(client, url, "Ela", "ela@example.com")
    entry = WaitlistEntry.objects.get()
    assert response.status_code == 302
    assert response.url == f"{reverse('waitlist-entry', args=[entry.pk])}?t={entry.token}&nowy=1"
    assert (entry.practitioner_id, entry.specialization.code, entry.before) == (None, "kardiologia", None)
    assert [m.subject for m in mail.outbox] == [f"Zapisano Cię na listę rezerwową – {full['provider'].name}"]

    # A dermatologist's freed slot is not for her; the second cardiologist's is.
    derm_slot = free_up(on_tomorrow(full["visits"]["derm"]), django_capture_on_commit_callbacks)
    assert derm_slot.state == SlotState.FREE
    assert offers_to("ela@example.com") == []
    visit = on_tomorrow(full["visits"]["cardio2"])
    slot = free_up(visit, django_capture_on_commit_callbacks)
    assert slot.state == SlotState.HELD
    link = offer_link("ela@example.com")
    assert full["cardio2"].full_name in offers_to("ela@example.com")[0].subject

    response = accept(client, link, "Ela", "ela@example.com")
    booked = Appointment.objects.get(slot=slot, status="confirmed")
    assert response.status_code == 302
    assert response.url == f"{reverse('portal:confirmation', args=[booked.pk])}?t={booked.cancel_token}"
    assert (booked.email, booked.practitioner_id) == ("ela@example.com", full["cardio2"].pk)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.BOOKED


@pytest.mark.parametrize(
    "query",
    [
        {"specjalizacja": "nie-ma-takiej", "placowka": "{provider}"},
        {"specjalizacja": "kardiologia", "placowka": "999999"},
        {"specjalizacja": "kardiologia"},
        {"lekarz": "999999"},
    ],
    ids=["unknown-specialization", "unknown-provider", "no-provider", "unknown-practitioner"],
)
def test_join_for_something_that_does_not_exist_is_not_found(client, full, query):
    query = {k: v.format(provider=full["provider"].pk) for k, v in query.items()}
    assert client.get(join_url(**query)).status_code == 404
    assert join(client, join_url(**query), "Ela", "ela@example.com").status_code == 404
    assert not WaitlistEntry.objects.exists()


def test_join_with_a_before_date_gets_only_slots_up_to_that_day(client, full, django_capture_on_commit_callbacks):
    url = join_url(lekarz=full["cardio"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert join(client, url, "Ala", "ala@example.com", before=TODAY.isoformat()).status_code == 302
    entry = WaitlistEntry.objects.get()
    assert entry.before == TODAY

    # Tomorrow is too late for her: the slot is not held, it is free for everyone at once.
    late = free_up(on_tomorrow(full["visits"]["cardio"]), django_capture_on_commit_callbacks)
    assert (late.day, late.state) == (TOMORROW, SlotState.FREE)
    assert offers_to("ala@example.com") == []
    # Today is in time.
    today_visit = next(v for v in full["visits"]["cardio"] if v.start.date() == TODAY)
    slot = free_up(today_visit, django_capture_on_commit_callbacks)
    assert (slot.day, slot.state) == (TODAY, SlotState.HELD)
    assert accept(client, offer_link("ala@example.com"), "Ala", "ala@example.com").status_code == 302
    assert Appointment.objects.get(slot=slot, status="confirmed").email == "ala@example.com"


def test_join_by_specialization_with_a_before_date(client, full, django_capture_on_commit_callbacks):
    url = join_url(specjalizacja="kardiologia", placowka=full["provider"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        join(client, url, "Ela", "ela@example.com", before=TODAY.isoformat())
    free_up(on_tomorrow(full["visits"]["cardio2"]), django_capture_on_commit_callbacks)
    assert offers_to("ela@example.com") == []
    today_visit = next(v for v in full["visits"]["cardio2"] if v.start.date() == TODAY)
    slot = free_up(today_visit, django_capture_on_commit_callbacks)
    assert WaitlistOffer.objects.get(entry__first_name="Ela").slot_id == slot.pk
    assert len(offers_to("ela@example.com")) == 1


def test_before_date_in_the_past_is_refused(client, full):
    url = join_url(specjalizacja="kardiologia", placowka=full["provider"].pk)
    response = join(client, url, "Ela", "ela@example.com", before=(TODAY - dt.timedelta(days=1)).isoformat())
    assert response.status_code == 422
    assert "Data nie może być z przeszłości." in response.content.decode()
    assert not WaitlistEntry.objects.exists()


# Accepting an offer: what can go wrong ----------------------------------------------------------


@pytest.fixture
def offered(client, full, django_capture_on_commit_callbacks):
    """Ala and Ola wait for the first cardiologist; a visit tomorrow is cancelled and both get
    the offer of its slot."""
    url = join_url(lekarz=full["cardio"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        join(client, url, "Ala", "ala@example.com")
        join(client, url, "Ola", "ola@example.com")
    slot = free_up(on_tomorrow(full["visits"]["cardio"]), django_capture_on_commit_callbacks)
    assert slot.state == SlotState.HELD
    return {**full, "slot": slot, "ala": offer_link("ala@example.com"), "ola": offer_link("ola@example.com")}


def test_offer_page_shows_the_slot_and_the_form(client, offered):
    page = client.get(offered["ala"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Zwolnił się termin</h1>" in html
    assert "Termin czeka do <strong>10:30</strong>" in html  # 30 minutes from 10:00
    assert 'value="Ala"' in html


def test_expired_offer(client, offered, frozen):
    frozen.shift(dt.timedelta(minutes=30))  # the offer's last moment has passed
    for response in (client.get(offered["ala"]), accept(client, offered["ala"], "Ala", "ala@example.com")):
        assert response.status_code == 410
        assert "Czas na przyjęcie terminu minął" in response.content.decode()
    assert not Appointment.objects.filter(slot=offered["slot"], status="confirmed").exists()
    assert WaitlistEntry.objects.get(first_name="Ala").status == WaitlistEntry.Status.WAITING
    # The periodic match closes the unanswered offers; the same slot is not offered to them again.
    frozen.shift(dt.timedelta(minutes=1))
    assert services.match_waitlist() == 0
    assert list(WaitlistOffer.objects.values_list("status", flat=True)) == ["expired", "expired"]
    # The slot is open to anyone again: a portal booking gets it.
    other = book_appointment(offered["slot"].pk, {**PATIENT, "email": "ktos@example.com"})
    assert other.status == "confirmed"


def test_offer_already_taken_by_another_waiting_patient(client, offered, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert accept(client, offered["ola"], "Ola", "ola@example.com").status_code == 302
    for response in (client.get(offered["ala"]), accept(client, offered["ala"], "Ala", "ala@example.com")):
        assert response.status_code == 409
        assert "Ten termin został już zajęty" in response.content.decode()
    visit = Appointment.objects.get(slot=offered["slot"], status="confirmed")
    assert visit.email == "ola@example.com"
    assert WaitlistOffer.objects.get(entry__first_name="Ala").status == WaitlistOffer.Status.GONE
    gone = [m for m in mail.outbox if m.to == ["ala@example.com"] and "został już zajęty" in m.subject]
    assert len(gone) == 1
    # She stays on the list, as the page says, and gets the next freed slot.
    assert WaitlistEntry.objects.get(first_name="Ala").status == WaitlistEntry.Status.WAITING
    mail.outbox.clear()
    next_visit = [v for v in offered["visits"]["cardio"] if v.start.date() == TOMORROW][1]
    slot = free_up(next_visit, django_capture_on_commit_callbacks)
    assert WaitlistOffer.objects.filter(entry__first_name="Ala", slot=slot, status="offered").count() == 1
    assert len(offers_to("ala@example.com")) == 1


def test_offer_of_a_patient_who_left_the_list_books_nothing(client, offered):
    entry = WaitlistEntry.objects.get(first_name="Ala")
    client.post(reverse("waitlist-entry", args=[entry.pk]), {"t": entry.token})
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CANCELLED
    response = accept(client, offered["ala"], "Ala", "ala@example.com")
    assert response.status_code == 410
    assert not Appointment.objects.filter(slot=offered["slot"], status="confirmed").exists()
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CANCELLED
    # Ola, still waiting, can take it.
    assert accept(client, offered["ola"], "Ola", "ola@example.com").status_code == 302
    assert Appointment.objects.get(slot=offered["slot"], status="confirmed").email == "ola@example.com"


def test_offer_page_does_not_tell_a_patient_who_left_that_she_is_still_on_the_list(client, offered):
    entry = WaitlistEntry.objects.get(first_name="Ala")
    client.post(reverse("waitlist-entry", args=[entry.pk]), {"t": entry.token})
    for response in (client.get(offered["ala"]), accept(client, offered["ala"], "Ala", "ala@example.com")):
        html = response.content.decode()
        assert response.status_code == 410
        assert "Ta propozycja jest nieaktualna" in html
        assert "Rezerwuję ten termin" not in html
        assert "Przyjęła go inna osoba z listy rezerwowej" not in html
        assert "Nadal jesteś na liście" not in html
    assert not Appointment.objects.filter(slot=offered["slot"], status="confirmed").exists()


@pytest.mark.parametrize("token", ["nieznany", "x" * 43, "0"])
def test_unknown_offer_token_is_not_found(client, offered, token):
    url = reverse("waitlist-offer", args=[token])
    assert client.get(url).status_code == 404
    assert accept(client, url, "Ala", "ala@example.com").status_code == 404
    assert not Appointment.objects.filter(slot=offered["slot"], status="confirmed").exists()


def test_entry_token_is_not_an_offer_token(client, offered):
    entry = WaitlistEntry.objects.get(first_name="Ala")
    url = reverse("waitlist-offer", args=[entry.token])
    assert client.get(url).status_code == 404


def desk(provider):
    registrar = Client()
    registrar.force_login(make_user("rejestracja", provider, "registrar"))
    patient = match_or_create_patient(
        provider, first_name="Zenon", last_name="Okienko", email="zenon@example.com", phone="", pesel=""
    )
    return registrar, patient


def test_desk_cannot_book_a_slot_held_for_the_offer(client, offered):
    registrar, patient = desk(offered["provider"])
    response = registrar.post(reverse("clinic:desk-booking", args=[offered["slot"].pk]), {"patient": patient.pk})
    assert response.status_code == 422
    assert "Ten termin jest już zajęty. Wybierz inny termin w terminarzu." in response.content.decode()
    assert not Appointment.objects.filter(patient=patient).exists()
    # The waiting patient still gets it.
    assert accept(client, offered["ala"], "Ala", "ala@example.com").status_code == 302
    assert Appointment.objects.get(slot=offered["slot"], status="confirmed").email == "ala@example.com"


def test_slot_booked_at_the_desk_after_the_offer_ran_out(client, offered, frozen):
    frozen.shift(dt.timedelta(minutes=31))
    registrar, patient = desk(offered["provider"])
    response = registrar.post(reverse("clinic:desk-booking", args=[offered["slot"].pk]), {"patient": patient.pk})
    assert response.status_code == 302
    desk_visit = Appointment.objects.get(slot=offered["slot"], status="confirmed")
    assert desk_visit.patient_id == patient.pk
    for name in ("ala", "ola"):
        late = accept(client, offered[name], name.title(), f"{name}@example.com")
        assert late.status_code == 410
        assert "Czas na przyjęcie terminu minął" in late.content.decode()
    assert list(Appointment.objects.filter(slot=offered["slot"], status="confirmed")) == [desk_visit]
    assert WaitlistEntry.objects.filter(status="waiting").count() == 2


def test_leaving_keeps_the_hold_for_the_others_and_the_last_one_frees_the_slot(
    client, offered, django_capture_on_commit_callbacks
):
    ala = WaitlistEntry.objects.get(first_name="Ala")
    client.post(reverse("waitlist-entry", args=[ala.pk]), {"t": ala.token})
    offered["slot"].refresh_from_db()
    assert offered["slot"].state == SlotState.HELD  # Ola's offer still runs
    assert accept(client, offered["ola"], "Ola", "ola@example.com").status_code == 302
    assert Appointment.objects.get(slot=offered["slot"], status="confirmed").email == "ola@example.com"


def test_the_last_offered_patient_leaving_frees_the_slot_at_once(client, offered, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("Ala", "Ola"):
            entry = WaitlistEntry.objects.get(first_name=name)
            client.post(reverse("waitlist-entry", args=[entry.pk]), {"t": entry.token})
    offered["slot"].refresh_from_db()
    assert (offered["slot"].state, offered["slot"].hold_until) == (SlotState.FREE, None)
    assert sorted(WaitlistOffer.objects.values_list("status", flat=True)) == ["gone", "gone"]
