"""C3 in a real browser: the clinic admin marks Christmas Day as a working day on "Dni wolne i
święta"; the page fits a laptop and a phone and passes axe-core's WCAG 2.1 AA checks."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from terminarz.core import clock
from terminarz.providers.models import Membership
from terminarz.scheduling.models import Slot, SlotState
from tests.browser.test_accessibility import violations
from tests.factories import clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHRISTMAS = dt.date(2026, 12, 25)


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
def test_admin_makes_a_holiday_a_working_day(page, live_server, ticking, viewport):
    provider, *_ = clinic(today=clock.local_today(), days=45)
    user = get_user_model().objects.create_user("kierownik", password="haslo-testowe-123")
    Membership.objects.create(user=user, provider=provider, role="admin")
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(live_server.url + "/gabinet/")
    page.get_by_label("Nazwa użytkownika").fill("kierownik")
    page.get_by_label("Hasło").fill("haslo-testowe-123")
    page.get_by_role("button", name="Zaloguj").click()

    page.goto(live_server.url + "/gabinet/harmonogramy/dni-wolne/")
    expect(page.get_by_role("heading", name="Dni wolne i święta")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert violations(page) == []
    row = page.locator("tr", has_text="Boże Narodzenie (pierwszy dzień)")
    expect(row.get_by_text("nieczynne – brak terminów")).to_be_visible()
    row.get_by_role("button", name="Pracujemy w tym dniu").click()
    expect(page.get_by_text("Dzień 25.12.2026 zapisany. Nowe wolne terminy: 16")).to_be_visible()
    expect(page.locator("tr", has_text="Boże Narodzenie (pierwszy dzień)").get_by_text("dzień pracy")).to_be_visible()
    assert Slot.objects.filter(provider=provider, day=CHRISTMAS, state=SlotState.FREE).count() == 16
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
