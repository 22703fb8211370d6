import datetime as dt
from decimal import Decimal

import pytest

from terminarz.catalog.models import Service
from terminarz.payments.models import DeadlineKind, PaymentRule, PaymentSettings, Requirement
from terminarz.payments.standins import przelewy24 as p24_standin
from terminarz.scheduling.models import Financing
from tests.factories import clinic, every_day


def payment_clinic(
    *,
    today: dt.date,
    requirement: str = Requirement.MANDATORY,
    price: Decimal = Decimal("150.00"),
    gateway: str = "przelewy24",
    hours_before_visit: int = 2,
    **settings_fields,
):
    """A private clinic whose practitioner's visit costs `price`, with one provider-level rule
    (deadline: `hours_before_visit` before the visit) and payments on."""
    provider, unit, practitioner, schedule = clinic(
        today=today, blocks=every_day(dt.time(8), dt.time(12), financing=Financing.PRIVATE)
    )
    service = Service.objects.create(provider=provider, code="KONS", name="Konsultacja", price=price, self_service=True)
    practitioner.procedures.add(service)
    PaymentSettings.objects.create(provider=provider, enabled=True, gateway=gateway, **settings_fields)
    PaymentRule.objects.create(
        provider=provider,
        requirement=requirement,
        deadline_kind=DeadlineKind.BEFORE_VISIT,
        hours_before_visit=hours_before_visit,
    )
    return provider, unit, practitioner, service


@pytest.fixture
def p24(settings, live_server):
    """The Przelewy24 stand-in over real HTTP; its notifications reach the live server."""
    server, state = p24_standin.serve()
    settings.P24_BASE_URL = state.base_url
    settings.SITE_URL = live_server.url
    yield state
    state.wait_for_notifications(5)
    server.shutdown()
    server.server_close()
