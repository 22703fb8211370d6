"""H9: an invoice for a paid visit – numbered per provider and year without gaps, stored as
issued, rendered as PDF and KSeF FA(3) XML; refused where it cannot be issued; in the visit view."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from terminarz.booking.services import book_appointment
from terminarz.payments import invoices
from terminarz.payments.gateways.base import Notice, NoticeStatus
from terminarz.payments.models import Invoice, Payment, PaymentAttempt
from terminarz.payments.services import settle
from terminarz.providers.models import Provider
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT
from tests.payments.conftest import payment_clinic

pytestmark = pytest.mark.django_db
SELLER_NIPS = ("6762461659", "9512345675", "7792311126", "5270123459", "8123456782")
BUYER = {"name": "Jan Kowalski", "nip": "", "street": "ul. Lea 10", "postal_code": "30-048", "city": "Kraków"}


def paid_visits(today, n=2, **kw):
    provider, _, practitioner, service = payment_clinic(today=today, **kw)
    # a valid NIP (the first one free: one provider account per NIP)
    provider.nip = next(nip for nip in SELLER_NIPS if not Provider.objects.filter(nip=nip).exists())
    provider.save()
    slots = Slot.objects.filter(practitioner=practitioner, start__gt=FROZEN_NOW + dt.timedelta(days=2)).order_by(
        "start"
    )
    paid = []
    for i in range(n):
        appointment = book_appointment(slots[i].pk, {**PATIENT, "email": f"p{i}@example.com"}, now=FROZEN_NOW)
        payment = appointment.payment
        attempt = PaymentAttempt.objects.create(
            payment=payment,
            session_id=f"TZINV{payment.pk}",
            gateway="przelewy24",
            amount=payment.amount,
            created_at=FROZEN_NOW,
        )
        settle(attempt, Notice(attempt.session_id, payment.amount, "PLN", NoticeStatus.PAID, f"R{i}"), now=FROZEN_NOW)
        paid.append(Payment.objects.get(pk=payment.pk))
    return provider, paid


def test_numbers_follow_each_other_per_provider_and_year(today):
    provider, (first, second) = paid_visits(today)
    _, (other,) = paid_visits(today, n=1)
    numbers = [
        invoices.issue_invoice(p, buyer=BUYER, actor=None, now=FROZEN_NOW).number for p in (first, second, other)
    ]
    assert numbers == ["FV/2026/00001", "FV/2026/00002", "FV/2026/00001"]


def test_a_failed_invoice_leaves_no_gap(today):
    _, (first, second) = paid_visits(today)
    with pytest.raises(invoices.InvoiceError):
        invoices.issue_invoice(first, buyer={**BUYER, "postal_code": "3O-O48"}, actor=None, now=FROZEN_NOW)
    assert invoices.issue_invoice(second, buyer=BUYER, actor=None, now=FROZEN_NOW).number == "FV/2026/00001"


def test_one_invoice_per_payment(today):
    _, (first, _second) = paid_visits(today)
    invoices.issue_invoice(first, buyer=BUYER, actor=None, now=FROZEN_NOW)
    with pytest.raises(invoices.InvoiceError) as twice:
        invoices.issue_invoice(first, buyer=BUYER, actor=None, now=FROZEN_NOW)
    assert twice.value.message == "Faktura do tej płatności jest już wystawiona."


def test_no_invoice_for_a_deposit_or_an_unpaid_visit(today):
    from terminarz.payments.models import PaymentRule

    provider, (paid,) = paid_visits(today, n=1)
    PaymentRule.objects.filter(provider=provider).update(amount_kind="deposit_percent", deposit_percent=30)
    Payment.objects.filter(pk=paid.pk).update(amount_kind="deposit_percent")
    paid.refresh_from_db()
    assert invoices.why_not_invoiceable(paid) == (
        "Dla zadatku potrzebna jest faktura zaliczkowa – jeszcze niedostępna w systemie."
    )
    Payment.objects.filter(pk=paid.pk).update(status="pending")
    paid.refresh_from_db()
    assert invoices.why_not_invoiceable(paid) == "Fakturę wystawia się dla opłaconej wizyty."


def test_pdf_and_fa3_xml_of_an_exempt_medical_visit(today):
    _, (paid,) = paid_visits(today, n=1)
    invoice = invoices.issue_invoice(paid, buyer=BUYER, actor=None, now=FROZEN_NOW)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(invoices.pdf_of(invoice))).pages)
    xml = invoices.xml_of(invoice).decode()
    assert "Faktura nr FV/2026/00001" in text
    assert "NIP: 6762461659" in text
    assert 'kodSystemowy="FA (3)"' in xml
    assert "<P_2>FV/2026/00001</P_2>" in xml
    assert "<P_13_7>150.00</P_13_7>" in xml
    assert invoice.gross == Decimal("150.00")


def test_visit_view_issues_and_serves_the_invoice_only_to_those_allowed(today, client):
    provider, (paid,) = paid_visits(today, n=1)
    registrar = make_user("rachel", provider, "registrar")
    client.force_login(registrar)
    url = reverse("clinic:visit-payment", args=[paid.appointment_id])
    client.post(url, {"action": "invoice", **BUYER, "nip": "123"})
    assert Invoice.objects.count() == 0  # a bad NIP: "Nieprawidłowy NIP – sprawdź cyfry."
    client.post(url, {"action": "invoice", **BUYER})
    invoice = Invoice.objects.get()
    pdf = client.get(reverse("clinic:invoice-file", args=[invoice.pk, "pdf"]))
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:4]) == (200, "application/pdf", b"%PDF")
    other_provider, _ = paid_visits(today, n=1)
    outsider = make_user("olga", other_provider, "admin")
    client.force_login(outsider)
    assert client.get(reverse("clinic:invoice-file", args=[invoice.pk, "xml"])).status_code == 404
    doctor = make_user("doc", provider, "practitioner")
    client.force_login(doctor)
    assert client.get(reverse("clinic:invoice-file", args=[invoice.pk, "pdf"])).status_code == 403
