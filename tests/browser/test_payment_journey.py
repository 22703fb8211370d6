"""H4–H8 in a real browser, with the Przelewy24 stand-in over HTTP: a patient books a visit that
must be paid, pays at the stand-in and sees it confirmed; a second patient does not pay and at
the deadline (the clock moved) the booking is cancelled, the patient told and the slot offered
again; the registrar waives a third patient's payment (VIP) and finds it in the report."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from terminarz.booking.models import Appointment
from terminarz.core import clock
from terminarz.notifications.models import Message
from terminarz.payments.models import Payment
from terminarz.payments.standins import przelewy24 as p24_standin
from terminarz.payments.tasks import expire_unpaid_task
from terminarz.scheduling.models import Slot
from tests.browser.flows import book_from_form
from tests.browser.test_accessibility import check
from tests.clinic.test_access import make_user
from tests.payments.conftest import payment_clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gateway(settings, live_server):
    server, state = p24_standin.serve()
    settings.P24_BASE_URL = state.base_url
    settings.SITE_URL = live_server.url
    yield state
    server.shutdown()
    server.server_close()


def book(page, live_server, slot, first, last, email):
    page.goto(f"{live_server.url}/rezerwacja/{slot.pk}/")
    page.get_by_label("Imię").fill(first)
    page.get_by_label("Nazwisko").fill(last)
    page.get_by_label("Adres e-mail").fill(email)
    book_from_form(page)


def test_pay_at_the_gateway_miss_the_deadline_and_waive(page, browser, live_server, gateway, ticking):
    provider, _, practitioner, _ = payment_clinic(today=clock.local_today(), hours_before_visit=24)
    slots = list(
        Slot.objects.filter(practitioner=practitioner, start__gt=clock.now() + dt.timedelta(days=2)).order_by("start")
    )

    # 1. Booked, held for payment, paid at the stand-in, confirmed.
    book(page, live_server, slots[0], "Anna", "Płacąca", "anna@example.com")
    expect(page.get_by_role("heading", name="Termin zarezerwowany – opłać wizytę, aby ją potwierdzić")).to_be_visible()
    assert check(page) == []
    page.get_by_role("link", name="Zapłać 150,00 zł").click()
    expect(page.get_by_role("heading", name="Płatność za wizytę")).to_be_visible()
    assert check(page) == []
    page.get_by_role("button", name="Zapłać 150,00 zł").click()
    expect(page.get_by_text("Bramka testowa Przelewy24")).to_be_visible()
    page.get_by_role("button", name="Zapłać").click()
    expect(page.get_by_role("heading", name="Dziękujemy, płatność przyjęta")).to_be_visible(timeout=20000)
    expect(page.get_by_text("Twoja wizyta jest potwierdzona.")).to_be_visible()
    assert check(page) == []
    paid = Appointment.objects.get(last_name="Płacąca")
    assert (paid.status, Payment.objects.get(appointment=paid).status) == ("confirmed", "paid")

    # 2. Booked and not paid: at the deadline the booking is cancelled and the slot free again.
    book(page, live_server, slots[1], "Bartek", "Zapominalski", "bartek@example.com")
    expect(page.get_by_role("heading", name="Termin zarezerwowany – opłać wizytę, aby ją potwierdzić")).to_be_visible()
    unpaid = Appointment.objects.get(last_name="Zapominalski")
    ticking.move_to(unpaid.hold_until + dt.timedelta(minutes=1))
    expire_unpaid_task.call()
    unpaid.refresh_from_db()
    assert (unpaid.status, unpaid.cancel_reason) == ("cancelled", "brak płatności online w terminie")
    told = Message.objects.get(kind="payment_cancelled", channel="email")
    assert told.recipient == "bartek@example.com"
    page.goto(f"{live_server.url}/lekarz/{practitioner.pk}/")
    expect(page.locator(f'a.kostka[href="/rezerwacja/{slots[1].pk}/"]')).to_be_visible()

    # 3. A VIP's payment waived by the registrar, seen in the report.
    later = Slot.objects.filter(
        practitioner=practitioner, state="free", start__gt=clock.now() + dt.timedelta(days=2)
    ).order_by("start")[0]
    book(page, live_server, later, "Celina", "Ważna", "celina@example.com")
    vip = Appointment.objects.get(last_name="Ważna")
    admin = make_user("kierownik", provider, "admin")
    staff = browser.new_context(locale="pl-PL", viewport={"width": 1366, "height": 900})
    desk = staff.new_page()
    desk.goto(f"{live_server.url}/gabinet/logowanie/")
    desk.get_by_label("Nazwa użytkownika").fill(admin.username)
    desk.get_by_label("Hasło").fill("haslo-testowe-123")
    desk.get_by_role("button", name="Zaloguj").click()
    desk.goto(f"{live_server.url}/gabinet/wizyty/{vip.pk}/")
    expect(desk.get_by_role("heading", name="Płatność online")).to_be_visible()
    desk.get_by_label("Powód zwolnienia").fill("Pacjentka VIP")
    desk.get_by_role("button", name="Zwolnij z płatności").click()
    expect(desk.get_by_text("Zwolniono pacjenta z płatności; wizyta jest potwierdzona.")).to_be_visible()
    assert check(desk) == []
    desk.goto(f"{live_server.url}/gabinet/platnosci/")
    desk.get_by_label("Status").select_option(label="zwolnione z płatności")
    desk.get_by_role("button", name="Pokaż").click()
    row = desk.get_by_role("row", name=re.compile(vip.reference))
    expect(row).to_contain_text("zwolniono z płatności")
    assert check(desk) == []
    staff.close()
