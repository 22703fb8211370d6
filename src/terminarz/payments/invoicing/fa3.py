"""The invoice as a KSeF structured e-invoice, schema FA(3) (`schemat_FA(3)_v1-0E.xsd`).

The XML is built by the `ksef-client` library's FA(3) documents (`ksef_client.documents.fa3`),
which follow the schema's element order, check its facets and bundle the official XSD (used
by the tests). We only map `InvoiceData` onto its model:

- Podmiot1 – the provider (NIP, name, address); Podmiot2 – the patient: NIP or `BrakID`,
  JST=2 and GV=2 (not a local government unit, not a VAT group);
- Fa: P_1 issue date, P_1M place, P_2 number, P_6 sale date (only when it differs from the
  issue date, as the schema describes the field), P_13_x/P_14_x per rate, P_15 gross total;
- Adnotacje/Zwolnienie: P_19=1 with P_19A = the legal basis when a line is exempt ("zw"),
  otherwise P_19N=1;
- FaWiersz: P_7 name, P_8A "usł.", P_8B quantity, P_9A/P_9B unit net/gross price, P_11/P_11A
  net/gross value, P_11Vat, P_12 rate ("zw", "0 KR", "5", "8", "23");
- Platnosc: Zaplacono=1 and DataZaplaty when paid; FormaPlatnosci 6 (przelew), 1 (gotówka),
  2 (karta), or PlatnoscInna with OpisPlatnosci "płatność online" (a gateway payment may be
  a transfer, BLIK or a card – the invoice does not know which).

The library stamps the header with its own name and the current time; `fa3_xml` puts the
caller's `created_at` (DataWytworzeniaFa) and `system_name` (SystemInfo) there instead, so
that the output is deterministic. Sending to KSeF is a separate adapter (not here).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from xml.etree import ElementTree as ET

from ksef_client.documents.fa3 import (
    Address,
    AnnotationSet,
    FA3Invoice,
    InvoiceLine,
    InvoiceParty,
    PartyIdentifier,
    PaymentMethod,
    PaymentTerms,
    TaxCategory,
    invoice_to_xml,
)

from .document import (
    PAYMENT_CARD,
    PAYMENT_CASH,
    PAYMENT_ONLINE,
    PAYMENT_TRANSFER,
    VAT_EXEMPT,
    InvoiceData,
    LineAmounts,
    Party,
)

FA3_NAMESPACE = "http://crd.gov.pl/wzor/2025/06/25/13775/"
FA3_FORM_CODE = "FA (3)"  # KodFormularza/@kodSystemowy (fixed in the schema)
FA3_SCHEMA_VERSION = "1-0E"  # KodFormularza/@wersjaSchemy (fixed in the schema)
FA3_FORM_VARIANT = "3"  # WariantFormularza
# DataWytworzeniaFa is an xsd:dateTime from 2025-09-01T00:00:00Z to 2050-01-01T23:59:59Z.
FA3_EARLIEST_CREATED_AT = datetime(2025, 9, 1, tzinfo=UTC)

SERVICE_UNIT = "usł."

_TAX_CATEGORIES = {
    "23": TaxCategory.standard_23,
    "8": TaxCategory.reduced_8,
    "5": TaxCategory.reduced_5,
    "0": TaxCategory.zero_domestic,  # "0 KR": domestic supply at 0%
}

# The FA(3) payment form codes; an online payment is "inna" with a description.
_PAYMENT_FORMS: dict[str, PaymentMethod] = {
    PAYMENT_TRANSFER: PaymentMethod.TRANSFER,
    PAYMENT_CASH: PaymentMethod.CASH,
    PAYMENT_CARD: PaymentMethod.CARD,
}

_UNIT_PRICE_QUANT = Decimal("0.00000001")  # TKwotowy2: at most 8 decimal places


def fa3_xml(data: InvoiceData, *, created_at: datetime, system_name: str = "Terminarz") -> bytes:
    """The FA(3) document of `data` as UTF-8 XML with a declaration.

    `created_at` (DataWytworzeniaFa) must carry a time zone; it is written in UTC.
    Raises `ValueError` (the library's `FA3XmlValidationError` is one) when the data break
    a rule of the schema, e.g. a name longer than the schema allows."""
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise ValueError("Czas wytworzenia faktury musi mieć strefę czasową.")
    if created_at < FA3_EARLIEST_CREATED_AT:
        raise ValueError("Czas wytworzenia faktury FA(3) nie może być wcześniejszy niż 1 września 2025.")
    system_name = " ".join(system_name.split())
    if not system_name:
        raise ValueError("Nazwa systemu jest wymagana.")

    xml = invoice_to_xml(_invoice(data))
    return _stamp_header(xml, created_at=created_at, system_name=system_name)


def _invoice(data: InvoiceData) -> FA3Invoice:
    annotations = AnnotationSet(exemption_basis=data.exemption_basis if data.has_exempt_lines else None)
    return FA3Invoice(
        invoice_number=data.number,
        issue_date=data.issue_date,
        seller=_party(data.seller),
        buyer=_party(data.buyer),
        lines=tuple(_line(amounts, data.exemption_basis) for amounts in data.line_amounts()),
        currency=data.currency,
        issue_place=data.place,
        sale_date=data.sale_date if data.sale_date != data.issue_date else None,
        annotations=annotations,
        payment_terms=_payment(data),
    )


def _party(party: Party) -> InvoiceParty:
    identifier = PartyIdentifier.polish_nip(party.nip) if party.nip else PartyIdentifier.none()
    address = Address(line1=party.street, country_code=party.country, line2=party.city_line or None)
    return InvoiceParty(name=party.name, identifier=identifier, address=address)


def _line(amounts: LineAmounts, exemption_basis: str) -> InvoiceLine:
    line = amounts.line
    if line.vat_rate == VAT_EXEMPT:
        tax = TaxCategory.exempt(exemption_basis)
    else:
        tax = _TAX_CATEGORIES[line.vat_rate]()
    unit_net = (amounts.net / line.quantity).quantize(_UNIT_PRICE_QUANT, rounding=ROUND_HALF_UP)
    return InvoiceLine(
        description=line.name,
        quantity=line.quantity,
        unit_net_price=unit_net,
        unit_gross_price=line.unit_price_gross,
        tax=tax,
        unit=SERVICE_UNIT,
        net_amount=amounts.net,
        vat_amount=None if line.vat_rate == VAT_EXEMPT else amounts.vat,
        gross_amount=amounts.gross,
    )


def _payment(data: InvoiceData) -> PaymentTerms:
    if data.payment_method == PAYMENT_ONLINE:
        return PaymentTerms(paid_date=data.paid_on, other_method_description=PAYMENT_ONLINE)
    return PaymentTerms(paid_date=data.paid_on, method=_PAYMENT_FORMS[data.payment_method].value)


def _stamp_header(xml: bytes, *, created_at: datetime, system_name: str) -> bytes:
    """Set Naglowek/DataWytworzeniaFa and Naglowek/SystemInfo in the library's output."""
    ET.register_namespace("", FA3_NAMESPACE)
    root = ET.fromstring(xml)
    header = root.find(f"{{{FA3_NAMESPACE}}}Naglowek")
    created = None if header is None else header.find(f"{{{FA3_NAMESPACE}}}DataWytworzeniaFa")
    system = None if header is None else header.find(f"{{{FA3_NAMESPACE}}}SystemInfo")
    if header is None or created is None or system is None:  # pragma: no cover - a library change
        raise RuntimeError("ksef-client: nagłówek FA(3) bez DataWytworzeniaFa/SystemInfo.")
    created.text = created_at.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    system.text = system_name
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
