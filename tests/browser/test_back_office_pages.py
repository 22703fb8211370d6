"""Every back-office menu page and the pages behind them (a schedule, a visit, a patient record)
(issue 11 "must hold"): at 1366×900 and at 390×844 nothing runs off the screen, the console stays
clean and axe-core finds no WCAG 2.1 A/AA violation."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from terminarz.booking.services import book_appointment
from terminarz.clinic.menu import GROUPS
from terminarz.core import clock
from terminarz.integrations import webhooks
from terminarz.marketing.models import Campaign
from terminarz.providers.models import Membership
from terminarz.scheduling.models import Slot
from tests.browser.test_accessibility import violations
from tests.factories import PATIENT, clinic
from tests.insurers.helpers import cooperate, make_insurer, payer_of, price_list_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [item for _label, items in GROUPS for item in items if item.permission]


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
def test_every_menu_page_fits_and_passes_axe(page, live_server, ticking, viewport):
    provider, _, practitioner, schedule = clinic(today=clock.local_today(), days=3)
    slot = Slot.objects.filter(schedule=schedule, start__gt=clock.now() + dt.timedelta(hours=2)).first()
    visit = book_appointment(slot.pk, {**PATIENT, "note": "x" * 400})
    user = get_user_model().objects.create_user("kierownik", password="haslo-testowe-123")
    Membership.objects.create(user=user, provider=provider, role="admin")
    insurer = make_insurer()
    cooperate(provider, insurer, user)
    payer = payer_of(provider, insurer)
    group = price_list_services(provider)["EKG"].group
    webhook, _secret = webhooks.create(
        provider.pk, url="https://system.example.com/terminarz/zdarzenia", events=["appointment.booked"], actor=None
    )
    free = Slot.objects.filter(schedule=schedule, state="free", start__gt=clock.now()).order_by("start").last()
    campaign = Campaign.objects.create(
        provider=provider, name="Grypa", subject="Szczepienia", body="Dzień dobry {imie}"
    )
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(live_server.url + "/gabinet/")
    page.get_by_label("Nazwa użytkownika").fill("kierownik")
    page.get_by_label("Hasło").fill("haslo-testowe-123")
    page.get_by_role("button", name="Zaloguj").click()
    found = {}
    behind = {
        "schedule": reverse("clinic:schedule", args=[schedule.pk]),
        "visit": reverse("clinic:visit", args=[visit.pk]),
        "patient": reverse("clinic:patient", args=[visit.patient_id]),
        "unit day": f"{reverse('clinic:calendar')}?poradnia={schedule.unit_id}",
        "practitioner week": f"{reverse('clinic:calendar-week')}?lekarz={practitioner.pk}",
        "patterns": reverse("clinic:patterns"),
        "payer": reverse("clinic:payer", args=[payer.pk]),
        "payer group": reverse("clinic:payer-group", args=[payer.pk, group.pk]),
        "insurer": reverse("clinic:insurer", args=[insurer.slug]),
        "service group": reverse("clinic:service-groups"),
        "webhook": reverse("clinic:webhook", args=[webhook.pk]),
        "calendar feed": reverse("clinic:practitioner-calendar", args=[practitioner.pk]),
        "campaign": reverse("clinic:campaign", args=[campaign.pk]),
        "waiting list entry": f"{reverse('clinic:waitlist-add')}?q={PATIENT['last_name']}",
        "desk booking": f"{reverse('clinic:desk-booking', args=[free.pk])}?q={PATIENT['last_name']}",
        "second factor": reverse("clinic:2fa"),
    }
    for label, url in [*((item.label, item.url()) for item in PAGES), *behind.items()]:
        page.goto(live_server.url + url)
        problems = violations(page)
        if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            width = page.evaluate("document.documentElement.scrollWidth")
            problems.append(f"wider than the screen: {width}px")
        if problems:
            found[label] = problems
    assert found == {}
    assert errors == []
