"""Least privilege (B1, issue 8): a practitioner sees their own calendar, their own visits and
the records of their own patients; a provider admin widens that per person with the grants
"calendar.view_all" / "patients.view_all", and every read that a grant makes possible is
audited. Registrars and admins see the whole provider as before."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.booking.services import book_for_patient
from terminarz.core import clock
from terminarz.core.models import AuditEntry
from terminarz.notifications.models import Message
from terminarz.patients.services import match_or_create_patient
from terminarz.providers.models import Membership
from terminarz.providers.permissions import ROLE_PERMISSIONS
from terminarz.scheduling.models import Slot
from terminarz.scheduling.services import generate_slots
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import clinic, every_day, make_practitioner, make_schedule

pytestmark = pytest.mark.django_db

BLOCKS = every_day(dt.time(10), dt.time(12))


def _patient(provider, first_name, last_name):
    return match_or_create_patient(provider, first_name=first_name, last_name=last_name, email="", phone="", pesel="")


def _slot(practitioner, day: dt.date, hour: int = 10) -> Slot:
    return Slot.objects.filter(practitioner=practitioner, day=day).order_by("start")[hour - 10]


@pytest.fixture
def staff(today):
    first_day = today - dt.timedelta(days=3)
    provider, unit, own, _ = clinic(today=first_day, days=6, blocks=BLOCKS)
    # alphabetically first, so a plain "first practitioner" default would open this calendar
    colleague = make_practitioner(provider, unit, first_name="Beata", last_name="Adamska")
    schedule = make_schedule(colleague, unit, valid_from=first_day, blocks=BLOCKS)
    generate_slots(schedule, start_day=first_day, end_day=today + dt.timedelta(days=2))
    lekarz = make_user("lekarz", provider, "practitioner")
    own.user = lekarz
    own.save(update_fields=["user"])
    rachel = make_user("rachel", provider, "registrar")
    alice = make_user("alice", provider, "admin")

    tomorrow, yesterday = today + dt.timedelta(days=1), today - dt.timedelta(days=1)
    future = _patient(provider, "Jan", "Przyszły")
    past = _patient(provider, "Ola", "Dawna")
    theirs = _patient(provider, "Ewa", "Cudza")
    nobody = _patient(provider, "Piotr", "Bezwizytowy")
    future_visit = book_for_patient(_slot(own, tomorrow).pk, future, actor=rachel)
    past_visit = book_for_patient(_slot(own, yesterday).pk, past, actor=rachel, now=FROZEN_NOW - dt.timedelta(days=2))
    colleague_visit = book_for_patient(_slot(colleague, tomorrow, 11).pk, theirs, actor=rachel)
    return {
        "provider": provider,
        "unit": unit,
        "own": own,
        "colleague": colleague,
        "lekarz": lekarz,
        "rachel": rachel,
        "alice": alice,
        "future": future,
        "past": past,
        "theirs": theirs,
        "nobody": nobody,
        "future_visit": future_visit,
        "past_visit": past_visit,
        "colleague_visit": colleague_visit,
        "tomorrow": tomorrow,
        "yesterday": yesterday,
    }


def grant(client, staff, *permissions):
    """The provider admin widens the practitioner's rights at /gabinet/konta/<id>/."""
    membership = Membership.objects.get(user=staff["lekarz"], provider=staff["provider"])
    client.force_login(staff["alice"])
    response = client.post(
        reverse("clinic:staff-account", args=[membership.pk]),
        {"role": "practitioner", "permissions": sorted(ROLE_PERMISSIONS["practitioner"] | set(permissions))},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.granted == sorted(permissions)
    client.force_login(staff["lekarz"])


def widened(staff):
    return AuditEntry.objects.filter(provider=staff["provider"], action="access.widened", actor=staff["lekarz"])


def test_practitioner_lands_on_their_own_day_and_week(client, staff):
    client.force_login(staff["lekarz"])
    day = client.get(reverse("clinic:calendar"), {"dzien": staff["tomorrow"].isoformat()})
    assert day.status_code == 200
    assert day.context["practitioner"] == staff["own"]
    assert day.context["practitioners"] == [staff["own"]]
    html = day.content.decode()
    assert "Przyszły" in html and "Adamska" not in html and "Cudza" not in html
    week = client.get(reverse("clinic:calendar-week"), {"od": staff["tomorrow"].isoformat()})
    assert week.status_code == 200
    assert week.context["practitioner"] == staff["own"]
    assert week.context["practitioners"] == [staff["own"]]
    assert "Adamska" not in week.content.decode()


def test_colleagues_calendar_and_visit_answer_404(client, staff):
    client.force_login(staff["lekarz"])
    colleague = staff["colleague"].pk
    assert client.get(reverse("clinic:calendar"), {"lekarz": colleague}).status_code == 404
    assert client.get(reverse("clinic:calendar-week"), {"lekarz": colleague}).status_code == 404
    assert client.get(reverse("clinic:visit", args=[staff["colleague_visit"].pk])).status_code == 404
    note = client.post(reverse("clinic:visit-note-add", args=[staff["colleague_visit"].pk]), {"text": "x"})
    assert note.status_code == 404
    assert client.get(reverse("clinic:visit", args=[staff["future_visit"].pk])).status_code == 200
    assert client.get(reverse("clinic:visit", args=[staff["past_visit"].pk])).status_code == 200


def test_unit_week_shows_only_the_practitioners_own_row(client, staff):
    client.force_login(staff["lekarz"])
    response = client.get(
        reverse("clinic:calendar-week"), {"poradnia": staff["unit"].pk, "od": staff["tomorrow"].isoformat()}
    )
    assert response.status_code == 200
    assert list(response.context["unit_rows"]) == [staff["own"]]
    assert "Adamska" not in response.content.decode()


def test_bookings_list_and_visits_of_the_day_show_only_own_visits(client, staff):
    client.force_login(staff["lekarz"])
    listed = client.get(reverse("clinic:bookings"))
    assert [a.pk for a in listed.context["page"]] == [staff["future_visit"].pk, staff["past_visit"].pk]
    refused_filter = client.get(reverse("clinic:bookings"), {"practitioner": staff["colleague"].pk})
    assert list(refused_filter.context["page"]) == []
    today = client.get(reverse("clinic:today"), {"dzien": staff["tomorrow"].isoformat()}).content.decode()
    assert staff["future_visit"].reference in today
    assert staff["colleague_visit"].reference not in today


def test_patient_records_of_own_patients_only(client, staff):
    client.force_login(staff["lekarz"])
    assert client.get(reverse("clinic:patient", args=[staff["future"].pk])).status_code == 200
    assert client.get(reverse("clinic:patient", args=[staff["past"].pk])).status_code == 200
    assert client.get(reverse("clinic:patient", args=[staff["theirs"].pk])).status_code == 404
    assert client.get(reverse("clinic:patient", args=[staff["nobody"].pk])).status_code == 404
    found = client.get(reverse("clinic:patients"), {"q": "a"}).context["found"]
    assert sorted(p.last_name for p in found) == ["Dawna", "Przyszły"]
    assert list(widened(staff)) == []


def test_admin_grant_widens_the_calendar_and_each_widened_read_is_audited(client, staff):
    grant(client, staff, "calendar.view_all")
    colleague = staff["colleague"]
    assert client.get(reverse("clinic:calendar")).context["practitioner"] == staff["own"]
    assert list(widened(staff)) == []  # own calendar: nothing to audit
    day = client.get(reverse("clinic:calendar"), {"lekarz": colleague.pk, "dzien": staff["tomorrow"].isoformat()})
    assert day.status_code == 200 and "Cudza" in day.content.decode()
    entry = widened(staff).get()
    assert (entry.object_type, entry.object_id) == ("practitioner", str(colleague.pk))
    assert entry.changes == {"permission": "calendar.view_all", "practitioners": [colleague.pk]}
    visit = client.get(reverse("clinic:visit", args=[staff["colleague_visit"].pk]))
    assert visit.status_code == 200
    assert widened(staff).filter(object_type="appointment", object_id=str(staff["colleague_visit"].pk)).count() == 1
    # the calendar grant does not open the records of the colleague's patients
    assert client.get(reverse("clinic:patient", args=[staff["theirs"].pk])).status_code == 404


def test_admin_grant_widens_patient_records_and_the_read_is_audited(client, staff):
    grant(client, staff, "patients.view_all")
    assert client.get(reverse("clinic:patient", args=[staff["nobody"].pk])).status_code == 200
    entry = widened(staff).get()
    assert (entry.object_type, entry.object_id) == ("patient", str(staff["nobody"].pk))
    assert entry.changes == {"permission": "patients.view_all"}
    assert client.get(reverse("clinic:patient", args=[staff["future"].pk])).status_code == 200
    assert widened(staff).count() == 1  # an own patient is no widened read
    opened = AuditEntry.objects.filter(action="patient.opened", actor=staff["lekarz"])
    assert sorted(opened.values_list("object_id", flat=True)) == sorted(
        [str(staff["nobody"].pk), str(staff["future"].pk)]
    )
    # the patient grant does not open a colleague's calendar
    assert client.get(reverse("clinic:calendar"), {"lekarz": staff["colleague"].pk}).status_code == 404


def test_grants_screen_offers_the_widening_permissions_in_polish(client, staff):
    membership = Membership.objects.get(user=staff["lekarz"])
    client.force_login(staff["alice"])
    html = client.get(reverse("clinic:staff-account", args=[membership.pk])).content.decode()
    assert 'value="calendar.view_all"' in html
    assert "Terminarz – wszyscy lekarze i wszystkie wizyty (nie tylko własne)" in html
    assert 'value="patients.view_all"' in html
    assert "Kartoteka pacjentów – wszyscy pacjenci (nie tylko własni)" in html


@pytest.mark.parametrize("username", ["rachel", "alice"])
def test_registrar_and_admin_still_see_the_whole_provider_without_audit(client, staff, username):
    client.force_login(staff[username])
    day = client.get(reverse("clinic:calendar"))
    assert day.context["practitioner"] == staff["colleague"]  # first alphabetically, as before
    assert day.context["practitioners"] == [staff["colleague"], staff["own"]]
    assert client.get(reverse("clinic:calendar"), {"lekarz": staff["own"].pk}).status_code == 200
    assert client.get(reverse("clinic:visit", args=[staff["colleague_visit"].pk])).status_code == 200
    for patient in ("future", "past", "theirs", "nobody"):
        assert client.get(reverse("clinic:patient", args=[staff[patient].pk])).status_code == 200
    listed = client.get(reverse("clinic:bookings")).context["page"]
    assert len(listed) == 3
    assert AuditEntry.objects.filter(action="access.widened").count() == 0


def test_practitioner_without_a_linked_profile_sees_no_calendar(client, staff):
    client.force_login(make_user("paul", staff["provider"], "practitioner"))
    day = client.get(reverse("clinic:calendar"))
    assert day.status_code == 200 and day.context["practitioner"] is None
    assert "nie jest powiązane z profilem" in day.content.decode()
    assert list(client.get(reverse("clinic:bookings")).context["page"]) == []


def test_requests_and_queues_list_only_own_patients(client, staff):
    from terminarz.records.models import RodoRequest
    from terminarz.waiting.models import QueueEntry

    for patient in (staff["future"], staff["theirs"]):
        RodoRequest.objects.create(
            provider=staff["provider"], patient=patient, kind="access", text="x", due_date="2026-12-20"
        )
        QueueEntry.objects.create(provider=staff["provider"], unit=staff["unit"], patient=patient)
    client.force_login(staff["lekarz"])
    requests = client.get(reverse("clinic:requests")).context
    assert [r.patient for r in requests["rodo"]] == [staff["future"]]
    queues = client.get(reverse("clinic:queues")).context
    assert [e.patient for e in queues["entries"]] == [staff["future"]]
    client.force_login(staff["rachel"])
    assert len(client.get(reverse("clinic:requests")).context["rodo"]) == 2
    assert len(client.get(reverse("clinic:queues")).context["entries"]) == 2


def test_booking_rights_alone_do_not_reach_a_colleagues_visits(client, staff):
    grant(client, staff, "calendar.book")
    assert client.get(reverse("clinic:cancel-visit", args=[staff["colleague_visit"].pk])).status_code == 404
    assert client.get(reverse("clinic:move-visit", args=[staff["colleague_visit"].pk])).status_code == 404
    assert client.get(reverse("clinic:cancel-visit", args=[staff["future_visit"].pk])).status_code == 200
    free_colleague_slot = Slot.objects.filter(practitioner=staff["colleague"], state="free", start__gt=FROZEN_NOW)[0]
    assert client.get(reverse("clinic:desk-booking", args=[free_colleague_slot.pk])).status_code == 404


def test_booking_rights_alone_do_not_move_a_visit_into_a_colleagues_calendar(client, staff):
    """A colleague's slot answers 404 whether free or taken: no move there and no hint of its state."""
    grant(client, staff, "calendar.book")
    visit = staff["future_visit"]
    original_slot = visit.slot_id
    url = reverse("clinic:move-visit", args=[visit.pk])
    free_colleague_slot = Slot.objects.filter(practitioner=staff["colleague"], state="free", start__gt=FROZEN_NOW)[0]
    taken_colleague_slot = staff["colleague_visit"].slot_id

    assert client.post(url, {"slot": free_colleague_slot.pk}).status_code == 404
    assert client.post(url, {"slot": taken_colleague_slot}).status_code == 404
    visit.refresh_from_db()
    free_colleague_slot.refresh_from_db()
    assert (visit.practitioner_id, visit.slot_id) == (staff["own"].pk, original_slot)
    assert free_colleague_slot.state == "free"

    own_free_slot = (
        Slot.objects.filter(practitioner=staff["own"], state="free", start__gt=FROZEN_NOW)
        .exclude(pk=visit.slot_id)
        .order_by("start")[0]
    )
    assert client.post(url, {"slot": own_free_slot.pk}).status_code == 302
    visit.refresh_from_db()
    assert visit.slot_id == own_free_slot.pk


def _message(staff, key: str, patient, **context) -> Message:
    return Message.objects.create(
        provider=staff["provider"],
        patient=patient,
        kind="booking_confirmed" if context else "waitlist_joined",
        recipient=f"{key}@example.com",
        context=context,
        idempotency_key=f"test:{key}",
        next_attempt_at=clock.now(),
    )


@pytest.fixture
def patient_messages(staff):
    """Messages about the practitioner's own visit, about a colleague's visit (of the same patient
    and of another), and messages without a visit for an own patient, another patient and nobody."""
    future = staff["future"]
    with_colleague = book_for_patient(
        _slot(staff["colleague"], staff["tomorrow"], 12).pk, future, actor=staff["rachel"]
    )
    Message.objects.filter(provider=staff["provider"]).delete()
    return {
        "own_visit": _message(staff, "own-visit", future, appointment=staff["future_visit"].pk),
        "own_patient": _message(staff, "own-patient", future),
        "colleague_visit": _message(staff, "colleague-visit", future, appointment=with_colleague.pk),
        "colleague_patient_visit": _message(
            staff, "colleague-patient-visit", staff["theirs"], appointment=staff["colleague_visit"].pk
        ),
        "colleague_patient": _message(staff, "colleague-patient", staff["theirs"]),
        "no_patient": _message(staff, "no-patient", None),
    }


def test_own_patient_record_lists_no_messages_about_visits_with_colleagues(client, staff, patient_messages):
    client.force_login(staff["lekarz"])
    record = client.get(reverse("clinic:patient", args=[staff["future"].pk]))
    assert {m.idempotency_key for m in record.context["patient_messages"]} == {"test:own-visit", "test:own-patient"}

    client.force_login(staff["rachel"])
    record = client.get(reverse("clinic:patient", args=[staff["future"].pk]))
    assert {m.idempotency_key for m in record.context["patient_messages"]} == {
        "test:own-visit",
        "test:own-patient",
        "test:colleague-visit",
    }


def test_message_log_by_grant_shows_only_messages_in_the_practitioners_scope(client, staff, patient_messages):
    grant(client, staff, "messages.view")
    log = client.get(reverse("clinic:messages"))
    assert log.status_code == 200
    assert {m.idempotency_key for m in log.context["page"].object_list} == {"test:own-visit", "test:own-patient"}

    client.force_login(staff["rachel"])
    log = client.get(reverse("clinic:messages"))
    assert {m.idempotency_key for m in log.context["page"].object_list} == {
        m.idempotency_key for m in patient_messages.values()
    }


def test_message_log_with_both_view_all_grants_shows_every_message(client, staff, patient_messages):
    grant(client, staff, "messages.view", "calendar.view_all", "patients.view_all")
    log = client.get(reverse("clinic:messages"))
    assert {m.idempotency_key for m in log.context["page"].object_list} == {
        m.idempotency_key for m in patient_messages.values()
    }


def test_demo_practitioner_login_lands_on_their_own_calendar(client, frozen):
    from io import StringIO

    from django.core.management import call_command

    from terminarz.staff.models import Practitioner

    call_command("seed_demo", stdout=StringIO())
    client.post(reverse("clinic:login"), {"username": "lekarz", "password": "demo-lekarz"})
    day = client.get(reverse("clinic:calendar"))
    assert day.context["practitioner"].full_name == "lek. Anna Nowak"
    assert [p.full_name for p in day.context["practitioners"]] == ["lek. Anna Nowak"]
    colleague = Practitioner.objects.get(provider__slug="przychodnia-demo", last_name="Wiśniewski")
    assert client.get(reverse("clinic:calendar"), {"lekarz": colleague.pk}).status_code == 404
