"""Invoices for paid visits (H9): numbered per provider and year without gaps, stored as
issued, rendered as PDF and as the structured e-invoice KSeF FA(3) XML.

Sending the XML to KSeF itself is an adapter for later: the back-office offers the file and
says so. Only a full prepayment gets an invoice here; a deposit needs an advance invoice
(faktura zaliczkowa), which is not built yet."""

import datetime as dt
import json
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from terminarz.core import clock, locks
from terminarz.core.audit import record_audit
from terminarz.providers.models import Location

from .invoicing.document import InvoiceData, Line, Party, from_json, to_json
from .invoicing.fa3 import fa3_xml
from .invoicing.pdf import invoice_pdf
from .models import AmountKind, Invoice, InvoiceCounter, Payment, PaymentStatus

INVOICEABLE = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)


class InvoiceError(Exception):
    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.errors = {field: [message]}


def why_not_invoiceable(payment: Payment) -> str:
    """Why this payment cannot get an invoice ("" when it can)."""
    if payment.status not in INVOICEABLE:
        return _("Fakturę wystawia się dla opłaconej wizyty.")
    if payment.amount_kind != AmountKind.FULL:
        return _("Dla zadatku potrzebna jest faktura zaliczkowa – jeszcze niedostępna w systemie.")
    if not payment.provider.nip:
        return _("Uzupełnij NIP placówki w danych placówki, aby wystawiać faktury.")
    return ""


def _seller(payment: Payment) -> Party:
    provider = payment.provider
    location = Location.objects.filter(provider=provider).order_by("number", "pk").first()
    if location is None:
        raise InvoiceError(_("Placówka nie ma adresu (lokalizacji) – uzupełnij go, aby wystawiać faktury."))
    return Party(
        name=provider.name,
        nip=provider.nip,
        street=location.street,
        postal_code=location.postal_code,
        city=location.city,
    )


def issue_invoice(payment: Payment, *, buyer: dict, actor, now: dt.datetime | None = None) -> Invoice:
    """The invoice for a paid visit: the next number of the provider's year, in one transaction
    with the counter (a rolled-back invoice leaves no gap)."""
    now = now or clock.now()
    reason = why_not_invoiceable(payment)
    if reason:
        raise InvoiceError(reason)
    try:
        buyer_party = Party(
            name=buyer["name"],
            nip=buyer.get("nip") or None,
            street=buyer["street"],
            postal_code=buyer["postal_code"],
            city=buyer["city"],
        )
    except ValueError as exc:
        raise InvoiceError(str(exc)) from None
    seller = _seller(payment)
    appointment = payment.appointment
    today = clock.local_today(at=now)
    paid_on = clock.local_today(at=payment.paid_at) if payment.paid_at else today
    service = payment.service
    name = (
        _("%(service)s – wizyta %(when)s") % {"service": service.name, "when": clock.local_text(appointment.start)}
        if service is not None
        else _("Wizyta %(ref)s – %(when)s")
        % {"ref": appointment.reference, "when": clock.local_text(appointment.start)}
    )
    line = Line(
        name=name,
        quantity=Decimal("1"),
        unit_price_gross=payment.paid_amount,
        vat_rate=service.vat_rate if service is not None else "zw",
    )
    with transaction.atomic():
        locks.lock_objects(("payment", payment.pk))
        if Invoice.objects.filter(payment=payment).exists():
            raise InvoiceError(_("Faktura do tej płatności jest już wystawiona."))
        InvoiceCounter.objects.get_or_create(provider_id=payment.provider_id, year=today.year)
        counter = InvoiceCounter.objects.select_for_update().get(provider_id=payment.provider_id, year=today.year)
        counter.last += 1
        counter.save(update_fields=["last"])
        number = f"FV/{today.year}/{counter.last:05d}"
        try:
            data = InvoiceData(
                number=number,
                issue_date=today,
                sale_date=paid_on,
                place=seller.city,
                seller=seller,
                buyer=buyer_party,
                lines=[line],
                payment_method="płatność online",
                paid=True,
                paid_on=paid_on,
            )
        except ValueError as exc:
            raise InvoiceError(str(exc)) from None
        try:  # built once now: an invoice whose e-invoice cannot be made takes no number
            fa3_xml(data, created_at=now)
        except Exception as exc:
            raise InvoiceError(
                _("Nie da się zbudować e-faktury z tych danych: %(e)s") % {"e": str(exc)[:200]}
            ) from None
        invoice = Invoice.objects.create(
            provider_id=payment.provider_id,
            payment=payment,
            number=number,
            year=today.year,
            seq=counter.last,
            issue_date=today,
            gross=payment.paid_amount,
            data=json.dumps(to_json(data)),
            created_at=now,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        record_audit(
            provider_id=payment.provider_id,
            action="invoice.issued",
            target=invoice,
            summary=f"Faktura {number} do wizyty {appointment.reference}",
            actor=actor,
            at=now,
        )
    return invoice


def invoice_data(invoice: Invoice) -> InvoiceData:
    return from_json(json.loads(invoice.data))


def pdf_of(invoice: Invoice) -> bytes:
    return invoice_pdf(invoice_data(invoice))


def xml_of(invoice: Invoice) -> bytes:
    return fa3_xml(invoice_data(invoice), created_at=invoice.created_at)
