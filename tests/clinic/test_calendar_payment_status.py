"""F1: each visit in the calendar grid says its payer and the state of its online payment; a
unit's day shows all its practitioners as columns."""

import pytest
from django.urls import reverse

from terminarz.core import clock
from terminarz.payments.models import Payment, PaymentStatus
from tests.clinic.test_payments_clinic import desk  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_the_grid_shows_each_visits_payment_state(client, desk):  # noqa: F811
    client.force_login(desk["registrar"])
    held = desk["held"]
    day = clock.local_today(at=held.start).isoformat()
    url = reverse("clinic:calendar")
    page = client.get(url, {"lekarz": desk["practitioner"].pk, "dzien": day}).content.decode()
    assert 'class="ic-label pay pay-pending" title="Płatność online: oczekuje"' in page
    Payment.objects.filter(appointment=held).update(status=PaymentStatus.PAID)
    page = client.get(url, {"lekarz": desk["practitioner"].pk, "dzien": day}).content.decode()
    assert 'class="ic-label pay pay-paid" title="Płatność online: opłacone"' in page
    unit_day = client.get(url, {"poradnia": held.unit_id, "dzien": day}).content.decode()
    assert 'title="Płatność online: opłacone"' in unit_day
    assert desk["practitioner"].full_name in unit_day
