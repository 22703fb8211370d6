"""Practitioner's day (issue 11 item 3): a visit that took place or a patient who did not come,
through the appointment's state machine; the patient's attendance figure; least privilege."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.booking import visits
from terminarz.booking.models import AppointmentTransition
from terminarz.booking.services import book_appointment
from terminarz.core.models import AuditEntry
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, VALID_PESEL, clinic, make_practitioner

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(today, frozen):
    provider, unit, practitioner, schedule = clinic(today=today, days=2)
    slots = list(Slot.objects.filter(schedule=schedule).order_by("start"))
    earlier = slots[0].start - dt.timedelta(hours=1)
    past = [
        book_appointment(slot.pk, {**PATIENT, "pesel": VALID_PESEL}, now=earlier)
        for slot in slots[:2]  # 08:00 and 08:15 local: begun before FROZEN_NOW (10:00)
    ]
    future = book_appointment(slots[-1].pk, {**PATIENT, "pesel": VALID_PESEL})
    doctor = make_user("lekarz", provider, "practitioner")
    practitioner.user = doctor
    practitioner.save(update_fields=["user"])
    return {"provider": provider, "unit": unit, "past": past, "future": future, "doctor": doctor}


def test_a_visit_that_took_place_and_a_no_show_are_recorded_and_counted(client, day):
    client.force_login(day["doctor"])
    done, missed = day["past"]
    for visit, outcome in ((done, "completed"), (missed, "no_show")):
        response = client.post(reverse("clinic:visit-outcome", args=[visit.pk]), {"outcome": outcome})
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.status == outcome
        assert AppointmentTransition.objects.filter(appointment=visit, to_status=outcome).count() == 1
        assert AuditEntry.objects.filter(object_id=str(visit.pk), action=f"appointment.{outcome}").count() == 1
    assert visits.attendance(done.patient_id) == visits.Attendance(completed=1, no_show=1)
    page = client.get(reverse("clinic:visit", args=[day["future"].pk])).content.decode()
    assert "odbyte: 1, nieobecności: 1" in page


def test_the_visit_view_shows_age_contact_and_the_outcome_buttons_once_the_visit_began(client, day):
    client.force_login(day["doctor"])
    begun = client.get(reverse("clinic:visit", args=[day["past"][0].pk])).content.decode()
    assert "wiek: " in begun
    assert 'href="tel:600 100 200"' in begun
    assert "Zrealizowana" in begun
    assert "Zrealizowana" not in client.get(reverse("clinic:visit", args=[day["future"].pk])).content.decode()


@pytest.mark.parametrize(
    ("which", "outcome", "message"),
    [
        ("future", "completed", "Wizytę można oznaczyć dopiero od godziny jej rozpoczęcia."),
        ("past", "cancelled", "Nieznany wynik wizyty."),
    ],
)
def test_refused_outcomes_say_why_and_change_nothing(client, day, which, outcome, message):
    visit = day["future"] if which == "future" else day["past"][0]
    client.force_login(day["doctor"])
    response = client.post(reverse("clinic:visit-outcome", args=[visit.pk]), {"outcome": outcome}, follow=True)
    assert message in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == "confirmed"


def test_a_recorded_outcome_cannot_be_changed(day):
    visit = day["past"][0]
    visits.record_outcome(visit, "completed", actor=day["doctor"], now=FROZEN_NOW)
    with pytest.raises(visits.OutcomeRefused):
        visits.record_outcome(visit, "no_show", actor=day["doctor"], now=FROZEN_NOW)
    visit.refresh_from_db()
    assert visit.status == "completed"


def test_a_practitioner_cannot_mark_a_colleagues_visit(client, day):
    colleague = make_practitioner(day["provider"], day["unit"], spec="dermatologia")
    other = make_user("inny", day["provider"], "practitioner")
    colleague.user = other
    colleague.save(update_fields=["user"])
    client.force_login(other)
    visit = day["past"][0]
    response = client.post(reverse("clinic:visit-outcome", args=[visit.pk]), {"outcome": "no_show"})
    assert response.status_code == 404
    visit.refresh_from_db()
    assert visit.status == "confirmed"


def test_finance_staff_may_not_record_outcomes(client, day):
    client.force_login(make_user("ksiegowa", day["provider"], "finance"))
    response = client.post(reverse("clinic:visit-outcome", args=[day["past"][0].pk]), {"outcome": "completed"})
    assert response.status_code == 403
