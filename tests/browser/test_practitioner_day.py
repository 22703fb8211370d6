"""The practitioner's day in a real browser (issue 11 item 3): the doctor signs in, sees their own
visits of the day only, marks one visit as done and one as a no-show."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from terminarz.booking.models import Appointment
from terminarz.booking.services import book_appointment
from terminarz.core import clock
from terminarz.scheduling.models import Slot
from tests.browser.test_accessibility import violations
from tests.clinic.test_access import make_user
from tests.factories import PATIENT, clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
def test_practitioner_marks_a_visit_done_and_a_no_show(page, live_server, ticking, viewport):
    today = clock.local_today()
    provider, _, practitioner, schedule = clinic(today=today, days=1)
    other_schedule = clinic(today=today, days=1, provider=provider)[3]
    slots = list(Slot.objects.filter(schedule=schedule).order_by("start"))
    earlier = slots[0].start - dt.timedelta(hours=1)
    kept = book_appointment(slots[0].pk, {**PATIENT, "last_name": "Obecna"}, now=earlier)
    missed = book_appointment(slots[1].pk, {**PATIENT, "last_name": "Nieobecny"}, now=earlier)
    not_mine = book_appointment(
        Slot.objects.filter(schedule=other_schedule).order_by("start").first().pk,
        {**PATIENT, "last_name": "Cudzy"},
        now=earlier,
    )
    doctor = make_user("lekarz", provider, "practitioner")
    practitioner.user = doctor
    practitioner.save(update_fields=["user"])
    assert not_mine.practitioner_id != practitioner.pk

    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(live_server.url + "/gabinet/")
    page.get_by_label("Nazwa użytkownika").fill("lekarz")
    page.get_by_label("Hasło").fill("haslo-testowe-123")
    page.get_by_role("button", name="Zaloguj").click()

    expect(page.get_by_role("link", name="Jan Obecna")).to_be_visible()
    expect(page.get_by_text("Cudzy")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert violations(page) == []

    page.get_by_role("link", name="Jan Obecna").click()
    expect(page.get_by_text("odbyte: 0, nieobecności: 0")).to_be_visible()
    assert violations(page) == []
    page.get_by_role("button", name="Zrealizowana").click()
    expect(page.get_by_text("Zapisano: zrealizowana.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.goto(live_server.url + "/gabinet/")
    page.get_by_role("link", name="Jan Nieobecny").click()
    page.get_by_role("button", name="Nieobecność pacjenta").click()
    expect(page.get_by_text("Zapisano: nieobecność.")).to_be_visible()

    page.goto(live_server.url + "/gabinet/")
    expect(page.locator("tr", has_text="Jan Obecna").get_by_text("zrealizowana")).to_be_visible()
    expect(page.locator("tr", has_text="Jan Nieobecny").get_by_text("nieobecność")).to_be_visible()
    assert [a.status for a in Appointment.objects.filter(pk__in=[kept.pk, missed.pk]).order_by("start")] == [
        "completed",
        "no_show",
    ]
