"""A4: the platform's invoice for a paid subscription order that wanted one – numbered in the
platform's own series per year without gaps, 23% VAT computed from the gross price, the buyer
as confirmed for the order, downloadable as a PDF by the provider's admin only; the invoice data
is checked when it is chosen, so a payment never waits on it; a failure to issue leaves the
payment standing and is retried on download."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from terminarz.core.audit import AuditEntry
from terminarz.subscriptions import services
from terminarz.subscriptions.machines import SUBSCRIPTION
from terminarz.subscriptions.models import PlatformInvoice, Subscription, SubscriptionStatus
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import make_provider

pytestmark = pytest.mark.django_db
BUYER = {
    "name": "Przychodnia Sp. z o.o.",
    "nip": "6762461659",
    "street": "ul. Długa 1",
    "postal_code": "31-000",
    "city": "Kraków",
}


@pytest.fixture
def office(client, frozen):
    provider = make_provider(subscribed=False)
    provider.nip = "6762461659"
    provider.save()
    admin = make_user("kierownik", provider, "admin")
    client.force_login(admin)
    return {"provider": provider, "admin": admin}


def paid_order(office, *, quantity=3, invoice=True, at=FROZEN_NOW) -> Subscription:
    order = services.order(office["provider"], quantity=quantity, actor=office["admin"], now=at)
    services.choose_invoice(order, wanted=invoice, data=BUYER)
    SUBSCRIPTION.move(order, SubscriptionStatus.PAID, actor_label="gateway", now=at, paid_at=at)
    return order


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_invoice_of_a_paid_order(office):
    order = paid_order(office, quantity=3)
    invoice = services.issue_invoice(order, now=FROZEN_NOW)
    data = services.from_json(invoice.data)
    assert (invoice.number, invoice.issue_date, invoice.gross) == (
        "FV/AB/2026/00001",
        dt.date(2026, 11, 20),
        Decimal("1764.00"),
    )
    assert (data.seller.name, data.seller.nip) == ("Terminarz Operator sp. z o.o. (dane demonstracyjne)", "5210000374")
    assert (data.buyer.name, data.buyer.nip, data.buyer.city_line) == (
        "Przychodnia Sp. z o.o.",
        "6762461659",
        "31-000 Kraków",
    )
    (line,) = data.lines
    assert (line.name, line.quantity, line.unit_price_gross, line.vat_rate) == (
        "Abonament rejestracji on-line na 12 miesięcy – 3 terminarze publikowane online",
        Decimal(3),
        Decimal("588.00"),
        "23",
    )
    # VAT from the gross: 1764.00 × 23 / 123 = 329.85; net 1434.15.
    assert (data.total_net, data.total_vat, data.total_gross) == (
        Decimal("1434.15"),
        Decimal("329.85"),
        Decimal("1764.00"),
    )
    assert (data.paid, data.paid_on, data.payment_method) == (True, dt.date(2026, 11, 20), "płatność online")
    audit = AuditEntry.objects.get(provider_id=office["provider"].pk, action="subscription.invoice_issued")
    assert audit.summary == "Faktura FV/AB/2026/00001 za abonament rejestracji on-line"


def test_one_schedule_is_named_in_the_singular(office):
    order = paid_order(office, quantity=1)
    (line,) = services.from_json(services.issue_invoice(order, now=FROZEN_NOW).data).lines
    assert line.name == "Abonament rejestracji on-line na 12 miesięcy – 1 terminarz publikowany online"


def test_numbers_follow_each_other_and_start_again_each_year(office):
    first = services.issue_invoice(paid_order(office), now=FROZEN_NOW)
    second = services.issue_invoice(paid_order(office), now=FROZEN_NOW)
    next_year = FROZEN_NOW.replace(year=2027, month=1, day=4)
    third = services.issue_invoice(paid_order(office, at=next_year), now=next_year)
    assert [first.number, second.number, third.number] == [
        "FV/AB/2026/00001",
        "FV/AB/2026/00002",
        "FV/AB/2027/00001",
    ]


def test_an_invoice_is_issued_once(office):
    order = paid_order(office)
    first = services.issue_invoice(order, now=FROZEN_NOW)
    again = services.issue_invoice(order, now=FROZEN_NOW)
    assert (again.pk, PlatformInvoice.objects.count()) == (first.pk, 1)


def test_no_invoice_for_an_order_that_wanted_none_or_is_unpaid(office):
    without = paid_order(office, invoice=False)
    unpaid = services.order(office["provider"], quantity=2, actor=office["admin"], now=FROZEN_NOW)
    services.choose_invoice(unpaid, wanted=True, data=BUYER)
    assert (services.issue_invoice(without), services.issue_invoice(unpaid), PlatformInvoice.objects.count()) == (
        None,
        None,
        0,
    )


def test_invoice_data_that_cannot_make_an_invoice_is_refused_when_chosen(office):
    order = services.order(office["provider"], quantity=2, actor=office["admin"], now=FROZEN_NOW)
    with pytest.raises(services.SubscriptionError) as refused:
        services.choose_invoice(order, wanted=True, data={**BUYER, "postal_code": "31000"})
    assert refused.value.message == (
        "Dane do faktury są niepoprawne: Kod pocztowy „31000” musi mieć postać 00-000. "
        "Popraw je przez „Aktualizuj dane”."
    )
    order.refresh_from_db()
    assert (order.invoice_decided, order.invoice_data) == (False, {})


def test_confirming_a_preview_without_a_postal_code_asks_for_the_data(client, office):
    """ "Zatwierdź" on the preview when the provider's address has a wrong postal code."""
    office["provider"].locations.update(postal_code="31000")
    order = services.order(office["provider"], quantity=2, actor=office["admin"], now=FROZEN_NOW)
    url = reverse("clinic:subscription-order", args=[order.pk])
    page = client.post(url, {"action": "invoice-confirm"})
    assert [str(m) for m in page.context["messages"]] == [
        "Dane do faktury są niepoprawne: Kod pocztowy „31000” musi mieć postać 00-000. "
        "Popraw je przez „Aktualizuj dane”."
    ]
    order.refresh_from_db()
    assert order.invoice_decided is False


def test_the_admin_downloads_the_pdf(client, office):
    order = paid_order(office, quantity=2)
    page = client.get(reverse("clinic:subscription")).content.decode()
    url = reverse("clinic:subscription-invoice", args=[order.pk])
    assert f'href="{url}"' in page
    response = client.get(url)
    assert (response.status_code, response["Content-Type"], response["Content-Disposition"]) == (
        200,
        "application/pdf",
        'attachment; filename="FV-AB-2026-00001.pdf"',
    )
    text = pdf_text(response.content)
    for expected in ("FV/AB/2026/00001", "Przychodnia Sp. z o.o.", "6762461659", "5210000374", "1 176,00"):
        assert expected in text
    # Downloading again gives the same invoice, not a new number.
    client.get(url)
    assert list(PlatformInvoice.objects.values_list("number", flat=True)) == ["FV/AB/2026/00001"]


def test_no_pdf_without_an_invoice_and_none_of_another_provider(client, office):
    without = paid_order(office, invoice=False)
    assert client.get(reverse("clinic:subscription-invoice", args=[without.pk])).status_code == 404
    other = make_provider(name="Inna Przychodnia")
    other_admin = make_user("inny-kierownik", other, "admin")
    theirs = paid_order({"provider": other, "admin": other_admin})
    assert client.get(reverse("clinic:subscription-invoice", args=[theirs.pk])).status_code == 404
    assert PlatformInvoice.objects.count() == 0


def test_a_registrar_cannot_download_it(client, office):
    order = paid_order(office)
    client.force_login(make_user("rejestratorka", office["provider"], "registrar"))
    assert client.get(reverse("clinic:subscription-invoice", args=[order.pk])).status_code == 403


def test_a_failed_issue_leaves_the_payment_and_is_retried_on_download(client, office):
    order = paid_order(office)
    broken = {"name": "Operator", "nip": "123", "street": "ul. A 1", "postal_code": "00-001", "city": "Warszawa"}
    with override_settings(TERMINARZ_PLATFORM_SELLER=broken):
        services._issue_quietly(order.pk, FROZEN_NOW)
        response = client.get(reverse("clinic:subscription-invoice", args=[order.pk]), follow=True)
    order.refresh_from_db()
    assert (order.status, PlatformInvoice.objects.count()) == ("paid", 0)
    assert [str(m) for m in response.context["messages"]] == [
        "Faktury nie udało się wystawić (NIP „123” musi składać się z 10 cyfr.). Skontaktuj się z operatorem platformy."
    ]
    retried = client.get(reverse("clinic:subscription-invoice", args=[order.pk]))
    assert (retried.status_code, PlatformInvoice.objects.get().number) == (200, "FV/AB/2026/00001")


def test_the_admin_corrects_the_data_of_a_paid_order_whose_invoice_failed(client, office):
    order = paid_order(office)
    # Data saved before it was checked (an older order): the issue fails when the payment comes in.
    Subscription.objects.filter(pk=order.pk).update(invoice_data={**BUYER, "postal_code": "31000"})
    services._issue_quietly(order.pk, FROZEN_NOW)
    url = reverse("clinic:subscription-order", args=[order.pk])
    page = client.get(url).content.decode()
    assert "Faktura nie została jeszcze wystawiona." in page
    with pytest.raises(services.SubscriptionError) as refused:
        services.choose_invoice(order, wanted=False)
    assert refused.value.message == "Zamówienie jest opłacone z fakturą – popraw dane do faktury."
    corrected = client.post(url, {"action": "invoice-update", **BUYER}, follow=True)
    assert corrected.status_code == 200
    assert PlatformInvoice.objects.get().number == "FV/AB/2026/00001"
    assert "Faktura nie została jeszcze wystawiona." not in corrected.content.decode()
    with pytest.raises(services.SubscriptionError) as issued:
        services.choose_invoice(order, wanted=True, data={**BUYER, "name": "Inna"})
    assert issued.value.message == "To zamówienie jest już opłacone albo anulowane."


def test_a_stale_order_object_cannot_drop_the_invoice_of_a_paid_order(office):
    stale = services.order(office["provider"], quantity=2, actor=office["admin"], now=FROZEN_NOW)
    services.choose_invoice(stale, wanted=True, data=BUYER)
    fresh = Subscription.objects.get(pk=stale.pk)
    SUBSCRIPTION.move(fresh, SubscriptionStatus.PAID, actor_label="gateway", now=FROZEN_NOW, paid_at=FROZEN_NOW)
    services.issue_invoice(fresh, now=FROZEN_NOW)
    with pytest.raises(services.SubscriptionError):
        services.choose_invoice(stale, wanted=False)
    stale.refresh_from_db()
    assert (stale.invoice, PlatformInvoice.objects.count()) == (True, 1)


def test_the_periodic_job_issues_what_failed(office):
    order = paid_order(office)
    broken = {"name": "Operator", "nip": "123", "street": "ul. A 1", "postal_code": "00-001", "city": "Warszawa"}
    with override_settings(TERMINARZ_PLATFORM_SELLER=broken):
        assert services.issue_missing_invoices(now=FROZEN_NOW) == 0
    assert services.issue_missing_invoices(now=FROZEN_NOW) == 1
    assert PlatformInvoice.objects.get().subscription_id == order.pk
    assert services.issue_missing_invoices(now=FROZEN_NOW) == 0


def test_the_periodic_job_leaves_orders_paid_long_ago_to_a_person(office):
    long_ago = FROZEN_NOW - dt.timedelta(days=8)
    paid_order(office, at=long_ago)
    assert (services.issue_missing_invoices(now=FROZEN_NOW), PlatformInvoice.objects.count()) == (0, 0)
