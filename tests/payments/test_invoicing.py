"""Invoice documents (H9): totals, validation, the KSeF FA(3) XML and the PDF. No database."""

import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from xml.etree import ElementTree as ET

import pypdf
import pytest
from ksef_client.documents.fa3 import FA3XmlValidationError, validate_fa3_xml_xsd

from terminarz.payments.invoicing.document import (
    EXEMPTION_BASIS_MEDICAL,
    InvoiceData,
    Line,
    Party,
    RateTotal,
    is_valid_nip,
    normalize_nip,
)
from terminarz.payments.invoicing.fa3 import FA3_FORM_CODE, FA3_NAMESPACE, FA3_SCHEMA_VERSION, fa3_xml
from terminarz.payments.invoicing.pdf import format_money, format_quantity, invoice_pdf

SELLER_NIP = "1234563218"
BUYER_NIP = "5260250274"
CREATED_AT = datetime(2026, 12, 1, 10, 30, 15, tzinfo=timezone(timedelta(hours=1)))
NS = {"fa": FA3_NAMESPACE}
XSD = "{http://www.w3.org/2001/XMLSchema}"


def seller(**changes) -> Party:
    return replace(
        Party(
            name="Przychodnia Źródło Zdrowia Sp. z o.o.",
            nip="123-456-32-18",
            street="ul. Łąkowa 5",
            postal_code="90-001",
            city="Łódź",
        ),
        **changes,
    )


def patient(**changes) -> Party:
    return replace(
        Party(name="Jan Żółkiewski", nip=None, street="ul. Kwiatowa 1/2", postal_code="31-101", city="Kraków"),
        **changes,
    )


def mixed_lines() -> list[Line]:
    return [
        Line("Konsultacja internistyczna", Decimal("1"), Decimal("250.00")),
        Line("Badanie USG jamy brzusznej", Decimal("1"), Decimal("180.50"), "zw"),
        Line("Zaświadczenie lekarskie do celów sportowych", Decimal("1"), Decimal("123.00"), "23"),
        Line("Kopia dokumentacji medycznej", Decimal("2"), Decimal("10.00"), "23"),
        Line("Opatrunek specjalistyczny", Decimal("1"), Decimal("54.00"), "8"),
    ]


def invoice(**changes) -> InvoiceData:
    data = InvoiceData(
        number="FV/2026/12/0001",
        issue_date=date(2026, 12, 1),
        sale_date=date(2026, 11, 30),
        place="Łódź",
        seller=seller(),
        buyer=patient(),
        lines=mixed_lines(),
        payment_method="płatność online",
        paid=True,
        paid_on=date(2026, 11, 30),
    )
    return replace(data, **changes)


# --- totals -------------------------------------------------------------------------------


def test_mixed_invoice_totals_per_rate_from_gross():
    data = invoice()

    # 23%: 123.00 + 2 × 10.00 = 143.00 gross; VAT = 143.00 × 23/123 = 26.7398… → 26.74.
    # 8%: 54.00 gross; VAT = 54.00 × 8/108 = 4.00. zw: 250.00 + 180.50, no VAT.
    assert data.rate_totals == (
        RateTotal("23", net=Decimal("116.26"), vat=Decimal("26.74"), gross=Decimal("143.00")),
        RateTotal("8", net=Decimal("50.00"), vat=Decimal("4.00"), gross=Decimal("54.00")),
        RateTotal("zw", net=Decimal("430.50"), vat=Decimal("0.00"), gross=Decimal("430.50")),
    )
    assert data.total_net == Decimal("596.76")
    assert data.total_vat == Decimal("30.74")
    assert data.total_gross == Decimal("627.50")
    assert data.has_exempt_lines


def test_rate_vat_is_computed_once_and_spread_over_lines():
    lines = [
        Line("Porada A", Decimal("1"), Decimal("1.00"), "23"),
        Line("Porada B", Decimal("1"), Decimal("1.00"), "23"),
    ]
    data = invoice(lines=lines)

    # Each line alone: 1.00 × 23/123 = 0.187 → 0.19, but the rate: 2.00 × 23/123 = 0.374 → 0.37.
    assert data.rate_totals == (RateTotal("23", net=Decimal("1.63"), vat=Decimal("0.37"), gross=Decimal("2.00")),)
    amounts = data.line_amounts()
    assert [(a.net, a.vat, a.gross) for a in amounts] == [
        (Decimal("0.82"), Decimal("0.18"), Decimal("1.00")),
        (Decimal("0.81"), Decimal("0.19"), Decimal("1.00")),
    ]


def test_quantity_times_price_rounds_half_up_to_grosze():
    line = Line("Zabieg", Decimal("1.5"), Decimal("33.33"))

    assert line.gross == Decimal("50.00")  # 49.995 → 50.00
    assert invoice(lines=[line]).total_gross == Decimal("50.00")


def test_zero_rate_has_no_vat():
    data = invoice(lines=[Line("Usługa", Decimal("1"), Decimal("99.99"), "0")])

    assert data.rate_totals == (RateTotal("0", net=Decimal("99.99"), vat=Decimal("0.00"), gross=Decimal("99.99")),)


# --- validation ---------------------------------------------------------------------------


def test_nip_is_normalized_and_checked():
    assert normalize_nip("123-456-32-18") == SELLER_NIP
    assert normalize_nip(" 526 025 02 74 ") == BUYER_NIP
    assert seller().nip == SELLER_NIP
    assert is_valid_nip(BUYER_NIP)
    assert not is_valid_nip("1234563219")


@pytest.mark.parametrize(
    ("nip", "message"),
    [
        ("1234563219", "błędną cyfrę kontrolną"),
        ("1234567890", "błędną cyfrę kontrolną"),  # weighted sum mod 11 is 10: never valid
        ("123456321", "10 cyfr"),
        ("12345632189", "10 cyfr"),
        ("12345632l8", "10 cyfr"),
        ("0000000000", "kod urzędu skarbowego"),
    ],
)
def test_seller_with_a_wrong_nip_is_refused(nip, message):
    with pytest.raises(ValueError, match=message):
        seller(nip=nip)


def test_seller_needs_a_nip_but_a_patient_does_not():
    with pytest.raises(ValueError, match="Sprzedawca musi mieć NIP"):
        invoice(seller=seller(nip=None))
    assert invoice(buyer=patient(nip=None)).buyer.nip is None
    with pytest.raises(ValueError, match="błędną cyfrę kontrolną"):
        patient(nip="5260250275")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unit_price_gross": Decimal("-1.00")}, "nie może być ujemna"),
        ({"unit_price_gross": Decimal("10.005")}, "najwyżej 2 miejsca"),
        ({"unit_price_gross": 10.5}, "Decimal"),
        ({"quantity": 1.0}, "Decimal"),
        ({"quantity": Decimal("0")}, "większa od zera"),
        ({"quantity": Decimal("-1")}, "większa od zera"),
        ({"vat_rate": "7"}, "Nieznana stawka VAT"),
        ({"name": "  "}, "wymagane"),
    ],
)
def test_line_validation(kwargs, message):
    values = {"name": "Konsultacja", "quantity": Decimal("1"), "unit_price_gross": Decimal("150.00")} | kwargs
    with pytest.raises(ValueError, match=message):
        Line(**values)


def test_trailing_zeros_are_not_extra_decimals():
    assert Line("Konsultacja", Decimal("1.000"), Decimal("150.000")).gross == Decimal("150.00")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lines": []}, "co najmniej jedną pozycję"),
        ({"paid": True, "paid_on": None}, "datę zapłaty"),
        ({"paid": False, "paid_on": date(2026, 11, 30)}, "tylko dla opłaconej"),
        ({"payment_method": "czek"}, "Nieznana forma płatności"),
        ({"currency": "EUR"}, "PLN"),
        ({"number": " "}, "wymagane"),
    ],
)
def test_invoice_validation(changes, message):
    with pytest.raises(ValueError, match=message):
        invoice(**changes)


def test_polish_postal_code_is_checked():
    with pytest.raises(ValueError, match="00-000"):
        patient(postal_code="31101")
    assert patient(country="de", postal_code="10115", city="Berlin").country == "DE"


# --- FA(3) XML ----------------------------------------------------------------------------


def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)


def text(root: ET.Element, path: str) -> str | None:
    element = root.find(path, NS)
    return None if element is None else element.text


def test_fa3_header_namespace_and_form_code():
    xml = fa3_xml(invoice(), created_at=CREATED_AT)
    root = parse(xml)

    assert xml.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert root.tag == f"{{{FA3_NAMESPACE}}}Faktura"
    assert FA3_NAMESPACE == "http://crd.gov.pl/wzor/2025/06/25/13775/"
    form_code = root.find("fa:Naglowek/fa:KodFormularza", NS)
    assert form_code is not None
    assert form_code.attrib == {"kodSystemowy": "FA (3)", "wersjaSchemy": "1-0E"}
    assert form_code.text == "FA"
    assert text(root, "fa:Naglowek/fa:WariantFormularza") == "3"
    assert text(root, "fa:Naglowek/fa:DataWytworzeniaFa") == "2026-12-01T09:30:15Z"
    assert text(root, "fa:Naglowek/fa:SystemInfo") == "Terminarz"


def test_fa3_parties():
    root = parse(fa3_xml(invoice(), created_at=CREATED_AT))

    assert text(root, "fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:NIP") == SELLER_NIP
    assert text(root, "fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:Nazwa") == "Przychodnia Źródło Zdrowia Sp. z o.o."
    assert text(root, "fa:Podmiot1/fa:Adres/fa:KodKraju") == "PL"
    assert text(root, "fa:Podmiot1/fa:Adres/fa:AdresL1") == "ul. Łąkowa 5"
    assert text(root, "fa:Podmiot1/fa:Adres/fa:AdresL2") == "90-001 Łódź"
    # A patient without a NIP: BrakID; not a local government unit nor a VAT group member.
    assert text(root, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:BrakID") == "1"
    assert root.find("fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NIP", NS) is None
    assert text(root, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:Nazwa") == "Jan Żółkiewski"
    assert text(root, "fa:Podmiot2/fa:JST") == "2"
    assert text(root, "fa:Podmiot2/fa:GV") == "2"

    company = parse(fa3_xml(invoice(buyer=patient(name="Firma ABC", nip=BUYER_NIP)), created_at=CREATED_AT))
    assert text(company, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NIP") == BUYER_NIP
    assert company.find("fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:BrakID", NS) is None


def test_fa3_invoice_data_dates_and_totals():
    root = parse(fa3_xml(invoice(), created_at=CREATED_AT))

    assert text(root, "fa:Fa/fa:KodWaluty") == "PLN"
    assert text(root, "fa:Fa/fa:P_1") == "2026-12-01"
    assert text(root, "fa:Fa/fa:P_1M") == "Łódź"
    assert text(root, "fa:Fa/fa:P_2") == "FV/2026/12/0001"
    assert text(root, "fa:Fa/fa:P_6") == "2026-11-30"
    summary = {
        tag: text(root, f"fa:Fa/fa:{tag}")
        for tag in ("P_13_1", "P_14_1", "P_13_2", "P_14_2", "P_13_3", "P_13_6_1", "P_13_7", "P_15")
    }
    assert summary == {
        "P_13_1": "116.26",
        "P_14_1": "26.74",
        "P_13_2": "50.00",
        "P_14_2": "4.00",
        "P_13_3": None,
        "P_13_6_1": None,
        "P_13_7": "430.50",
        "P_15": "627.50",
    }
    assert text(root, "fa:Fa/fa:RodzajFaktury") == "VAT"


def test_fa3_exemption_annotation():
    root = parse(fa3_xml(invoice(), created_at=CREATED_AT))

    assert text(root, "fa:Fa/fa:Adnotacje/fa:Zwolnienie/fa:P_19") == "1"
    assert text(root, "fa:Fa/fa:Adnotacje/fa:Zwolnienie/fa:P_19A") == "art. 43 ust. 1 pkt 18 ustawy o VAT"
    assert root.find("fa:Fa/fa:Adnotacje/fa:Zwolnienie/fa:P_19N", NS) is None

    taxed = parse(
        fa3_xml(invoice(lines=[Line("Zaświadczenie", Decimal("1"), Decimal("123.00"), "23")]), created_at=CREATED_AT)
    )
    assert text(taxed, "fa:Fa/fa:Adnotacje/fa:Zwolnienie/fa:P_19N") == "1"
    assert taxed.find("fa:Fa/fa:Adnotacje/fa:Zwolnienie/fa:P_19", NS) is None
    assert taxed.find("fa:Fa/fa:P_13_7", NS) is None


def test_fa3_lines():
    root = parse(fa3_xml(invoice(), created_at=CREATED_AT))
    rows = root.findall("fa:Fa/fa:FaWiersz", NS)

    def row(element: ET.Element) -> dict[str, str | None]:
        return {child.tag.split("}")[1]: child.text for child in element}

    assert len(rows) == 5
    assert row(rows[0]) == {
        "NrWierszaFa": "1",
        "P_7": "Konsultacja internistyczna",
        "P_8A": "usł.",
        "P_8B": "1",
        "P_9A": "250",
        "P_9B": "250",
        "P_11": "250.00",
        "P_11A": "250.00",
        "P_12": "zw",
    }
    assert row(rows[3]) == {
        "NrWierszaFa": "4",
        "P_7": "Kopia dokumentacji medycznej",
        "P_8A": "usł.",
        "P_8B": "2",
        "P_9A": "8.13",
        "P_9B": "10",
        "P_11": "16.26",
        "P_11A": "20.00",
        "P_11Vat": "3.74",
        "P_12": "23",
    }
    assert [text(r, "fa:P_12") for r in rows] == ["zw", "zw", "23", "23", "8"]
    # The lines add up to the rate totals: P_11Vat of the 23% lines = P_14_1.
    assert [text(r, "fa:P_11Vat") for r in rows[2:4]] == ["23.00", "3.74"]
    assert sum(Decimal(text(r, "fa:P_11Vat")) for r in rows[2:4]) == Decimal("26.74")


def test_fa3_payment_paid_online():
    root = parse(fa3_xml(invoice(), created_at=CREATED_AT))

    assert text(root, "fa:Fa/fa:Platnosc/fa:Zaplacono") == "1"
    assert text(root, "fa:Fa/fa:Platnosc/fa:DataZaplaty") == "2026-11-30"
    assert text(root, "fa:Fa/fa:Platnosc/fa:PlatnoscInna") == "1"
    assert text(root, "fa:Fa/fa:Platnosc/fa:OpisPlatnosci") == "płatność online"
    assert root.find("fa:Fa/fa:Platnosc/fa:FormaPlatnosci", NS) is None


def test_fa3_unpaid_transfer_and_same_day_sale():
    data = invoice(payment_method="przelew", paid=False, paid_on=None, sale_date=date(2026, 12, 1))
    root = parse(fa3_xml(data, created_at=CREATED_AT))

    assert text(root, "fa:Fa/fa:Platnosc/fa:FormaPlatnosci") == "6"
    assert root.find("fa:Fa/fa:Platnosc/fa:Zaplacono", NS) is None
    # P_6 only when the sale date differs from the issue date (the schema's description).
    assert root.find("fa:Fa/fa:P_6", NS) is None


def test_fa3_needs_an_aware_creation_time():
    with pytest.raises(ValueError, match="strefę czasową"):
        fa3_xml(invoice(), created_at=datetime(2026, 12, 1, 10, 30))
    with pytest.raises(ValueError, match="1 września 2025"):
        fa3_xml(invoice(), created_at=datetime(2025, 8, 31, tzinfo=UTC))


def test_fa3_is_deterministic():
    assert fa3_xml(invoice(), created_at=CREATED_AT) == fa3_xml(invoice(), created_at=CREATED_AT)


# --- FA(3) XML against the official XSD (bundled in ksef-client) ---------------------------


def bundled_schema() -> ET.Element:
    schema = resources.files("ksef_client.documents.fa3.schemas") / "schemat_FA(3)_v1-0E.xsd"
    return ET.fromstring(schema.read_bytes())


def test_constants_match_the_official_schema():
    schema = bundled_schema()
    assert schema.attrib["targetNamespace"] == FA3_NAMESPACE
    attributes = {
        attribute.attrib["name"]: attribute.attrib["fixed"]
        for attribute in schema.iter(f"{XSD}attribute")
        if attribute.attrib.get("name") in ("kodSystemowy", "wersjaSchemy")
    }
    assert attributes == {"kodSystemowy": FA3_FORM_CODE, "wersjaSchemy": FA3_SCHEMA_VERSION}
    assert FA3_FORM_CODE == "FA (3)"
    assert FA3_SCHEMA_VERSION == "1-0E"
    names = {element.attrib.get("name") for element in schema.iter(f"{XSD}element")}
    assert {"P_13_7", "P_19", "P_19A", "P_19N", "P_9B", "P_11A", "BrakID", "OpisPlatnosci"} <= names


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"payment_method": "przelew", "paid": False, "paid_on": None, "sale_date": date(2026, 12, 1)},
        {"buyer": patient(name="Firma ABC", nip=BUYER_NIP), "payment_method": "karta"},
        {
            "lines": [
                Line("Usługa", Decimal("3"), Decimal("33.33"), "0"),
                Line("Wyrób", Decimal("1"), Decimal("5.25"), "5"),
            ]
        },
        {"buyer": patient(country="DE", postal_code="10115", city="Berlin", street="Unter den Linden 1")},
    ],
)
def test_fa3_xml_is_valid_against_the_official_xsd(changes):
    validate_fa3_xml_xsd(fa3_xml(invoice(**changes), created_at=CREATED_AT))


def test_xsd_validation_rejects_a_broken_document():
    xml = fa3_xml(invoice(), created_at=CREATED_AT)
    broken = re.sub(rb"<P_2>[^<]*</P_2>", b"", xml)

    with pytest.raises(FA3XmlValidationError):
        validate_fa3_xml_xsd(broken)


# --- PDF ----------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    # Whitespace collapsed: a long name wraps inside its table cell.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_polish_number_format():
    assert format_money(Decimal("1234.5")) == "1\u00a0234,50\u00a0zł"
    assert format_money(Decimal("1234567.89")) == "1\u00a0234\u00a0567,89\u00a0zł"
    assert format_money(Decimal("0")) == "0,00\u00a0zł"
    assert format_money(Decimal("999.99")) == "999,99\u00a0zł"
    assert format_quantity(Decimal("2")) == "2"
    assert format_quantity(Decimal("1.50")) == "1,5"


def test_pdf_of_a_paid_invoice():
    content = invoice_pdf(invoice())
    assert content.startswith(b"%PDF")
    extracted = pdf_text(content)

    for expected in (
        "Faktura nr FV/2026/12/0001",
        "Data wystawienia: 01.12.2026",
        "Data sprzedaży: 30.11.2026",
        "Miejsce wystawienia: Łódź",
        "Sprzedawca",
        "Nabywca",
        "Przychodnia Źródło Zdrowia Sp. z o.o.",
        f"NIP: {SELLER_NIP}",
        "Jan Żółkiewski",
        "ul. Łąkowa 5",
        "Konsultacja internistyczna",
        "Zaświadczenie lekarskie do celów sportowych",
        "Razem do zapłaty: 627,50 zł",
        "116,26 zł",
        "26,74 zł",
        "Zapłacono: płatność online, 30.11.2026",
        f"Zwolnienie z VAT: {EXEMPTION_BASIS_MEDICAL}",
    ):
        assert expected in extracted
    for heading in ("Lp.", "Nazwa", "Ilość", "Cena brutto", "Stawka VAT", "Wartość brutto"):
        assert heading in extracted
    assert "ąćęłńóśźż" in pdf_text(invoice_pdf(invoice(lines=[Line("ąćęłńóśźż", Decimal(1), Decimal("1.00"))])))


def test_pdf_embeds_dejavu_sans():
    reader = pypdf.PdfReader(io.BytesIO(invoice_pdf(invoice())))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    base_fonts = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}

    assert base_fonts and all("DejaVuSans" in name for name in base_fonts)


def test_pdf_of_an_unpaid_taxed_invoice():
    data = invoice(
        lines=[Line("Zaświadczenie", Decimal("1"), Decimal("1234.56"), "23")],
        payment_method="przelew",
        paid=False,
        paid_on=None,
    )
    extracted = pdf_text(invoice_pdf(data))

    assert "Razem do zapłaty: 1 234,56 zł" in extracted
    assert "Forma płatności: przelew" in extracted
    assert "Zapłacono" not in extracted
    assert "Zwolnienie z VAT" not in extracted
    assert "NIP: 1234563218" in extracted


def test_pdf_with_many_lines_runs_onto_a_second_page():
    lines = [Line(f"Wizyta kontrolna nr {n}", Decimal("1"), Decimal("100.00")) for n in range(1, 61)]
    content = invoice_pdf(invoice(lines=lines))

    reader = pypdf.PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 2
    assert "Razem do zapłaty: 6 000,00 zł" in pdf_text(content)
