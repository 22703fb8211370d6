"""The back-office calendar as a time grid in a real browser (issue 11 item 2): a visit opens in
a panel beside the grid (not below it), a visit is moved by dragging it onto a free slot, and a
1,000-character note without spaces widens nothing."""

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


def sign_in(page, live_server):
    page.goto(live_server.url + "/gabinet/")
    page.get_by_label("Nazwa użytkownika").fill("rachel")
    page.get_by_label("Hasło").fill("haslo-testowe-123")
    page.get_by_role("button", name="Zaloguj").click()


@pytest.fixture
def day(ticking):
    today = clock.local_today()
    provider, _, practitioner, schedule = clinic(today=today, days=3)
    slots = list(Slot.objects.filter(schedule=schedule, day=today + dt.timedelta(days=1)).order_by("start"))
    visit = book_appointment(slots[0].pk, {**PATIENT, "last_name": "Przesuwany", "note": "x" * 1000})
    make_user("rachel", provider, "registrar")
    return {"practitioner": practitioner, "slots": slots, "visit": visit, "day": slots[0].day}


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
def test_the_visit_panel_opens_beside_the_grid_and_nothing_overflows(page, live_server, day, viewport):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/gabinet/terminarz/?lekarz={day['practitioner'].pk}&dzien={day['day']:%Y-%m-%d}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert violations(page) == []
    link = page.locator(".tg-who", has_text="Jan Przesuwany")
    clicked = link.bounding_box()
    link.click()
    panel = page.locator("#panel .visit-panel")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    if viewport[0] > 1000:
        # Beside the grid, at the height of the grid, not ~1,000 px below the click.
        assert box["x"] > clicked["x"] + clicked["width"]
        assert box["y"] < clicked["y"] + 200
    else:
        # On a phone it slides over the bottom of the screen, in view.
        assert 0 <= box["y"] < viewport[1]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert violations(page) == []
    page.get_by_role("button", name="Zamknij panel wizyty").click()
    expect(panel).to_have_count(0)


def test_a_visit_is_moved_by_dragging_it_onto_a_free_slot(page, live_server, day):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/gabinet/terminarz/?lekarz={day['practitioner'].pk}&dzien={day['day']:%Y-%m-%d}")
    target = day["slots"][4]
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f'.tg-item[data-move="/gabinet/wizyty/{day["visit"].pk}/przenies/"]').drag_to(
        page.locator(f'.tg-item[data-slot="{target.pk}"]')
    )
    expect(page.get_by_text(f"Przeniesiono wizytę {day['visit'].reference}")).to_be_visible()
    assert Appointment.objects.get(pk=day["visit"].pk).slot_id == target.pk
