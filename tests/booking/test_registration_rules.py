"""Provider registration settings (seed 001, Tabela 4) and the rules they switch on:
D3 multi-step, D4, D5, D6, cancellation reason and cut-off, return e-mail, grouping."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from terminarz.booking.errors import BookingRefused, InvalidBooking
from terminarz.booking.models import Appointment
from terminarz.booking.rules import NFZ_FIRST_VISIT_REFUSED
from terminarz.booking.services import (
    book_appointment,
    book_for_patient,
    cancel_appointment_by_patient,
    confirm_held_booking,
    expire_hold,
)
from terminarz.core.models import AuditEntry
from terminarz.patients.services import match_or_create_patient
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Slot, SlotState
from terminarz.scheduling.search import SlotQuery, search_slots
from terminarz.waiting.models import QueueEntry
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, VALID_PESEL, clinic, every_day, make_practitioner, make_schedule

pytestmark = pytest.mark.django_db
SECOND_PESEL = "02070803628"


@pytest.fixture
def world(today):
    provider, unit, practitioner, schedule = clinic(today=today, days=5)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    return {"provider": provider, "unit": unit, "practitioner": practitioner, "slots": slots}


def set_rules(provider, **values):
    rules = settings_for(provider.pk)
    for name, value in values.items():
        setattr(rules, name, value)
    rules.save()
    return rules


def portal_post(client, slot, **data):
    return client.post(reverse("portal:book", args=[slot.pk]), {**PATIENT, **data})


# --- settings page ---------------------------------------------------------------------------


def form_data(**over):
    data = {
        "online_registration": "on",
        "without_account": "on",
        "hold_minutes": 30,
        "nfz_first_visit_online": "on",
        "cancel_cutoff_hours": 0,
        "return_email": "",
        "group_by_units": "on",
        "reminder_hours": 24,
        "reminder_email": "on",
        "reminder_sms": "on",
        "account_data_required": "on",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_changes_settings_with_an_audit_of_what_changed(client, world):
    client.force_login(make_user("alice", world["provider"], "admin"))
    page = client.get(reverse("clinic:registration-settings")).content.decode()
    assert "Rejestracja wieloetapowa" in page and "E-mail zwrotny" in page
    response = client.post(
        reverse("clinic:registration-settings"),
        form_data(multi_step="on", hold_minutes=15, pesel_required="on", return_email="rej@example.com"),
    )
    assert response.status_code == 302
    rules = settings_for(world["provider"].pk)
    assert rules.multi_step and rules.hold_minutes == 15 and rules.pesel_required
    entry = AuditEntry.objects.get(action="settings.registration")
    assert entry.changes["hold_minutes"] == {"before": 30, "after": 15}


@pytest.mark.parametrize(
    "over, message",
    [
        ({"hold_minutes": 2}, "Podaj od 5 do 1440 minut."),
        ({"cancel_cutoff_hours": 1000}, "Podaj najwyżej 720 godzin"),
        ({"return_email": "nie-email"}, "Wprowadź poprawny adres email."),
    ],
)
def test_bad_settings_get_field_errors_and_nothing_changes(client, world, over, message):
    client.force_login(make_user("alice", world["provider"], "admin"))
    response = client.post(reverse("clinic:registration-settings"), form_data(multi_step="on", **over))
    assert response.status_code == 422 and message in response.content.decode()
    assert not settings_for(world["provider"].pk).multi_step


def test_registrar_cannot_open_settings(client, world):
    client.force_login(make_user("rachel", world["provider"], "registrar"))
    assert client.get(reverse("clinic:registration-settings")).status_code == 403


# --- D4, online on/off, data scope ---------------------------------------------------------------


def test_registration_off_hides_slots_and_refuses_portal_and_api(client, world):
    set_rules(world["provider"], online_registration=False)
    found, _ = search_slots(SlotQuery(provider=world["provider"].pk))
    assert found == []
    page = client.get(reverse("portal:book", args=[world["slots"][0].pk]))
    assert page.status_code == 403 and "nie prowadzi teraz rejestracji online" in page.content.decode()
    response = client.post(
        "/api/v1/appointments",
        {"slot": world["slots"][0].pk, "patient": {k: PATIENT[k] for k in ("first_name", "last_name", "email")}},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["code"] == "refused"
    # The desk still books.
    patient = match_or_create_patient(
        world["provider"], **{k: PATIENT[k] for k in ("first_name", "last_name", "email", "phone", "pesel")}
    )
    assert book_for_patient(world["slots"][0].pk, patient, actor=None).status == "confirmed"


def test_booking_without_account_off_asks_to_sign_in(client, world):
    set_rules(world["provider"], without_account=False)
    page = client.get(reverse("portal:book", args=[world["slots"][0].pk])).content.decode()
    assert "tylko od pacjentów z kontem" in page and "Załóż konto" in page


def test_account_only_providers_refuse_anonymous_api_and_fhir_bookings(world):
    set_rules(world["provider"], without_account=False)
    for channel in ("api", "fhir"):
        with pytest.raises(BookingRefused, match="tylko od pacjentów z kontem"):
            book_appointment(world["slots"][0].pk, PATIENT, source=channel)
    assert not Appointment.objects.exists()


def test_required_phone_and_pesel(client, world):
    set_rules(world["provider"], phone_required=True, pesel_required=True)
    form = client.get(reverse("portal:book", args=[world["slots"][0].pk])).content.decode()
    assert 'name="pesel"' in form
    response = portal_post(client, world["slots"][0], phone="", pesel="")
    html = response.content.decode()
    assert response.status_code == 422
    assert "Podaj numer telefonu – placówka go wymaga." in html and "Podaj numer PESEL – placówka go wymaga." in html
    assert not Appointment.objects.exists()
    with pytest.raises(InvalidBooking) as exc:
        book_appointment(world["slots"][0].pk, {**PATIENT, "pesel": ""}, source="api")
    assert "pesel" in exc.value.errors


# --- D3 multi-step ---------------------------------------------------------------------------------


def test_multi_step_holds_the_slot_until_the_email_link_is_confirmed(
    client, world, frozen, django_capture_on_commit_callbacks
):
    set_rules(world["provider"], multi_step=True, hold_minutes=20)
    slot = world["slots"][0]
    with django_capture_on_commit_callbacks(execute=True):
        response = portal_post(client, slot)
    appointment = Appointment.objects.get()
    assert appointment.status == "held" and appointment.hold_until == FROZEN_NOW + dt.timedelta(minutes=20)
    slot.refresh_from_db()
    assert slot.state == SlotState.HELD
    assert "Potwierdź rezerwację w wiadomości e-mail" in client.get(response.url).content.decode()
    (hold_mail,) = mail.outbox
    confirm_url = f"/wizyta/{appointment.pk}/potwierdz/?t={appointment.cancel_token}"
    assert confirm_url in hold_mail.body and "(20 minut)" in hold_mail.body

    page = client.get(confirm_url)  # a GET (e.g. a link scanner) changes nothing
    assert "Potwierdzam rezerwację" in page.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "held"

    frozen.shift(dt.timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("portal:confirm-booking", args=[appointment.pk]), {"t": appointment.cancel_token})
    assert done.status_code == 302
    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == "confirmed" and slot.state == SlotState.BOOKED
    assert mail.outbox[-1].subject.startswith("Potwierdzenie wizyty")


def test_unconfirmed_hold_expires_and_frees_the_slot(client, world, frozen):
    set_rules(world["provider"], multi_step=True, hold_minutes=15)
    slot = world["slots"][0]
    appointment = book_appointment(slot.pk, PATIENT)
    frozen.shift(dt.timedelta(minutes=16))
    with pytest.raises(InvalidBooking, match="Czas na potwierdzenie rezerwacji minął"):
        confirm_held_booking(appointment.pk, appointment.cancel_token)
    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == "expired" and slot.state == SlotState.FREE
    # And the periodic sweep does the same by itself for holds nobody touches.
    other = book_appointment(world["slots"][1].pk, {**PATIENT, "email": "b@example.com"})
    frozen.shift(dt.timedelta(minutes=16))
    assert expire_hold(other.pk)
    other.refresh_from_db()
    assert other.status == "expired"


def test_api_bookings_stay_single_step(world):
    set_rules(world["provider"], multi_step=True)
    assert book_appointment(world["slots"][0].pk, PATIENT, source="api").status == "confirmed"


# --- D5 one visit per specialization ------------------------------------------------------------


def test_one_future_visit_per_specialization_by_pesel(world, today):
    set_rules(world["provider"], one_visit_per_specialization=True, pesel_required=True)
    first = book_appointment(world["slots"][0].pk, {**PATIENT, "pesel": VALID_PESEL})
    with pytest.raises(BookingRefused, match="Masz już umówioną wizytę w tej specjalizacji"):
        book_appointment(world["slots"][3].pk, {**PATIENT, "pesel": VALID_PESEL, "email": "inny@example.com"})
    assert world["slots"][3].__class__.objects.get(pk=world["slots"][3].pk).state == SlotState.FREE
    # Another person is fine; another specialization is fine.
    book_appointment(world["slots"][4].pk, {**PATIENT, "pesel": SECOND_PESEL})
    derm = make_practitioner(world["provider"], world["unit"], spec="dermatologia")
    derm_schedule = make_schedule(derm, world["unit"], valid_from=today, blocks=every_day(dt.time(13), dt.time(15)))
    from terminarz.scheduling.services import generate_slots

    generate_slots(derm_schedule, start_day=today, end_day=today + dt.timedelta(days=3))
    derm_slot = Slot.objects.filter(schedule=derm_schedule, start__gt=FROZEN_NOW).first()
    assert book_appointment(derm_slot.pk, {**PATIENT, "pesel": VALID_PESEL}).status == "confirmed"
    # After cancelling the first visit a new one in the same specialization is allowed.
    cancel_appointment_by_patient(first.pk, first.cancel_token)
    assert book_appointment(world["slots"][5].pk, {**PATIENT, "pesel": VALID_PESEL}).status == "confirmed"


# --- D6 first-time NFZ visits --------------------------------------------------------------------


def test_first_time_nfz_visit_refused_with_the_seed_message(client, world):
    set_rules(world["provider"], nfz_first_visit_online=False)
    response = portal_post(client, world["slots"][0], pesel=VALID_PESEL)
    assert response.status_code == 422
    assert NFZ_FIRST_VISIT_REFUSED in response.content.decode()
    assert not Appointment.objects.exists()
    slot = Slot.objects.get(pk=world["slots"][0].pk)
    assert slot.state == SlotState.FREE


def test_first_time_nfz_visit_allowed_puts_the_patient_in_the_stable_queue(world):
    appointment = book_appointment(world["slots"][0].pk, {**PATIENT, "pesel": VALID_PESEL})
    assert appointment.nfz_first_time
    entry = QueueEntry.objects.get()
    assert (entry.category, entry.status, entry.unit, entry.patient, entry.appointment) == (
        "stable",
        "scheduled",
        world["unit"],
        appointment.patient,
        appointment,
    )


def test_patient_with_an_earlier_visit_in_the_unit_is_not_first_time(world, frozen):
    set_rules(world["provider"], nfz_first_visit_online=False)
    patient = match_or_create_patient(
        world["provider"], first_name="Jan", last_name="Kowalski", email="j@example.com", phone="", pesel=VALID_PESEL
    )
    past = book_for_patient(world["slots"][0].pk, patient, actor=None)
    frozen.move_to(past.end + dt.timedelta(hours=1))
    appointment = book_appointment(world["slots"][-1].pk, {**PATIENT, "pesel": VALID_PESEL})
    assert not appointment.nfz_first_time and not QueueEntry.objects.exists()


def test_private_slots_are_not_nfz_first_visits(today):
    provider, _, _, schedule = clinic(
        today=today, days=2, blocks=every_day(dt.time(8), dt.time(12), financing="private")
    )
    set_rules(provider, nfz_first_visit_online=False)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    assert book_appointment(slot.pk, PATIENT).status == "confirmed"


# --- cancellation rules ----------------------------------------------------------------------------


def test_cancel_reason_required(client, world):
    set_rules(world["provider"], cancel_reason_required=True)
    appointment = book_appointment(world["slots"][0].pk, PATIENT)
    url = reverse("portal:cancel", args=[appointment.pk])
    page = client.get(url, {"t": appointment.cancel_token}).content.decode()
    assert "(wymagany)" in page
    response = client.post(url, {"t": appointment.cancel_token, "reason": "  "})
    assert response.status_code == 422 and "Podaj powód odwołania wizyty." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"
    client.post(url, {"t": appointment.cancel_token, "reason": "Wyjazd"})
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.cancel_reason == "Wyjazd"


def test_cancel_cutoff_before_the_visit(world, frozen):
    world["provider"].phone = "+48 12 345 67 00"
    world["provider"].save()
    set_rules(world["provider"], cancel_cutoff_hours=24)
    appointment = book_appointment(world["slots"][-1].pk, PATIENT)
    frozen.move_to(appointment.start - dt.timedelta(hours=23))
    with pytest.raises(BookingRefused, match="najpóźniej 24 godz. przed jej rozpoczęciem.*\\+48 12 345 67 00"):
        cancel_appointment_by_patient(appointment.pk, appointment.cancel_token)
    frozen.move_to(appointment.start - dt.timedelta(hours=25))
    assert cancel_appointment_by_patient(appointment.pk, appointment.cancel_token).status == "cancelled"


# --- return e-mail, grouping -----------------------------------------------------------------------


def test_return_email_gets_a_notice_of_portal_bookings_only(client, world, django_capture_on_commit_callbacks):
    set_rules(world["provider"], return_email="rejestracja@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        portal_post(client, world["slots"][0])
    notices = [m for m in mail.outbox if m.to == ["rejestracja@example.com"]]
    assert len(notices) == 1 and "Pacjent bez konta umówił wizytę online." in notices[0].body
    with django_capture_on_commit_callbacks(execute=True):
        book_appointment(world["slots"][1].pk, {**PATIENT, "email": "api@example.com"}, source="api")
    assert len([m for m in mail.outbox if m.to == ["rejestracja@example.com"]]) == 1


def test_provider_card_groups_practitioners_by_unit_when_set(client, world):
    url = reverse("portal:provider", args=[world["provider"].pk])
    grouped = client.get(url).content.decode()
    assert f"<h3>{world['unit'].name}</h3>" in grouped
    set_rules(world["provider"], group_by_units=False)
    flat = client.get(url).content.decode()
    assert flat.count(f"<h3>{world['unit'].name}</h3>") == 0 and world["practitioner"].last_name in flat


# --- clock boundaries: the DST weekend and midnight --------------------------------------------------


def test_cancel_cutoff_counts_real_hours_across_the_dst_weekend(frozen):
    frozen.move_to(dt.datetime(2026, 10, 23, 9, 0, tzinfo=dt.UTC))
    provider, _, _, schedule = clinic(today=dt.date(2026, 10, 23), days=5)
    set_rules(provider, cancel_cutoff_hours=24)
    slot = Slot.objects.filter(schedule=schedule, day=dt.date(2026, 10, 26)).order_by("start").first()
    visit = book_appointment(slot.pk, PATIENT)
    assert visit.start == dt.datetime(2026, 10, 26, 7, 0, tzinfo=dt.UTC)  # 08:00 CET, the day after the change
    frozen.move_to(dt.datetime(2026, 10, 25, 7, 1, tzinfo=dt.UTC))  # 23 h 59 min before
    with pytest.raises(BookingRefused):
        cancel_appointment_by_patient(visit.pk, visit.cancel_token)
    frozen.move_to(dt.datetime(2026, 10, 25, 6, 59, tzinfo=dt.UTC))  # 24 h 1 min before
    assert cancel_appointment_by_patient(visit.pk, visit.cancel_token).status == "cancelled"


def test_multi_step_hold_across_midnight(frozen):
    frozen.move_to(dt.datetime(2026, 11, 20, 22, 50, tzinfo=dt.UTC))  # 23:50 in Warsaw
    provider, _, _, schedule = clinic(today=dt.date(2026, 11, 20), days=3)
    set_rules(provider, multi_step=True, hold_minutes=30)
    slot = Slot.objects.filter(schedule=schedule, day=dt.date(2026, 11, 22)).order_by("start").first()
    first = book_appointment(slot.pk, PATIENT)
    frozen.move_to(dt.datetime(2026, 11, 20, 23, 15, tzinfo=dt.UTC))  # 00:15 the next day
    assert confirm_held_booking(first.pk, first.cancel_token).status == "confirmed"
    other = book_appointment(
        Slot.objects.filter(schedule=schedule, day=dt.date(2026, 11, 22)).order_by("start")[1].pk,
        {**PATIENT, "email": "b@example.com"},
    )
    frozen.move_to(other.hold_until + dt.timedelta(seconds=1))
    with pytest.raises(InvalidBooking):
        confirm_held_booking(other.pk, other.cancel_token)


def test_one_visit_rule_counts_only_future_visits(world, frozen):
    set_rules(world["provider"], one_visit_per_specialization=True, pesel_required=True)
    first = book_appointment(world["slots"][0].pk, {**PATIENT, "pesel": VALID_PESEL})
    frozen.move_to(first.start)  # the visit is starting: no longer a future visit
    later = next(s for s in world["slots"] if s.start > first.end)
    assert book_appointment(later.pk, {**PATIENT, "pesel": VALID_PESEL}).status == "confirmed"
