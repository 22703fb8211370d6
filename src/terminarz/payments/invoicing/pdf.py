"""The invoice as an A4 PDF in Polish (fpdf2, the fonts of `core.pdf`). Amounts are
written the Polish way: "1 234,50 zł", with no-break spaces so they never wrap.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fpdf import FPDF
from fpdf.fonts import FontFace

from terminarz.core.pdf import FONT_FAMILY, a4

from .document import VAT_EXEMPT, InvoiceData, Party, money

NBSP = "\u00a0"

_TEXT_COLOR = (33, 37, 41)
_MUTED_COLOR = (90, 98, 106)
_HEADING_FILL = (233, 236, 239)


def format_amount(value: Decimal) -> str:
    """1234.5 → "1 234,50" (no-break space between thousands)."""
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{money(abs(value)):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"{sign}{NBSP.join(groups)},{fraction}"


def format_money(value: Decimal) -> str:
    """1234.5 → "1 234,50 zł"."""
    return f"{format_amount(value)}{NBSP}zł"


def format_quantity(value: Decimal) -> str:
    """2 → "2", 1.50 → "1,5"."""
    text = f"{value.normalize():f}" if value != value.to_integral_value() else str(int(value))
    return text.replace(".", ",")


def format_date(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def format_rate(rate: str) -> str:
    return rate if rate == VAT_EXEMPT else f"{rate}%"


def invoice_pdf(data: InvoiceData) -> bytes:
    """The invoice of `data` as PDF bytes (A4, Polish)."""
    pdf = a4(title=f"Faktura nr {data.number}", author=data.seller.name)
    pdf.set_text_color(*_TEXT_COLOR)

    _header(pdf, data)
    _parties(pdf, data.seller, data.buyer)
    _lines(pdf, data)
    _totals(pdf, data)
    _payment(pdf, data)
    return bytes(pdf.output())


def _header(pdf: FPDF, data: InvoiceData) -> None:
    pdf.set_font(FONT_FAMILY, "B", 18)
    pdf.cell(0, 10, f"Faktura nr {data.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FONT_FAMILY, "", 10)
    for label, value in (
        ("Data wystawienia", format_date(data.issue_date)),
        ("Data sprzedaży", format_date(data.sale_date)),
        ("Miejsce wystawienia", data.place),
    ):
        pdf.set_text_color(*_MUTED_COLOR)
        pdf.cell(45, 6, f"{label}:")
        pdf.set_text_color(*_TEXT_COLOR)
        pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)


def _party_text(party: Party) -> str:
    rows = [party.name, party.street, party.city_line]
    if party.country != "PL":
        rows.append(party.country)
    if party.nip:
        rows.append(f"NIP: {party.nip}")
    return "\n".join(rows)


def _parties(pdf: FPDF, seller: Party, buyer: Party) -> None:
    pdf.set_font(FONT_FAMILY, "", 10)
    with pdf.table(
        col_widths=(1, 1),
        borders_layout="NONE",
        text_align="LEFT",
        v_align="TOP",
        line_height=5.5,
        headings_style=FontFace(emphasis="BOLD", size_pt=11),
        padding=(1, 0, 1, 0),
    ) as table:
        headings = table.row()
        headings.cell("Sprzedawca")
        headings.cell("Nabywca")
        row = table.row()
        row.cell(_party_text(seller))
        row.cell(_party_text(buyer))
    pdf.ln(6)


def _lines(pdf: FPDF, data: InvoiceData) -> None:
    pdf.set_font(FONT_FAMILY, "", 9)
    with pdf.table(
        col_widths=(10, 70, 14, 28, 24, 34),
        text_align=("CENTER", "LEFT", "RIGHT", "RIGHT", "CENTER", "RIGHT"),
        line_height=6,
        headings_style=FontFace(emphasis="BOLD", fill_color=_HEADING_FILL),
        padding=1,
    ) as table:
        headings = table.row()
        for title in ("Lp.", "Nazwa", "Ilość", "Cena brutto", "Stawka VAT", "Wartość brutto"):
            headings.cell(title)
        for number, line in enumerate(data.lines, start=1):
            row = table.row()
            row.cell(str(number))
            row.cell(line.name)
            row.cell(format_quantity(line.quantity))
            row.cell(format_money(line.unit_price_gross))
            row.cell(format_rate(line.vat_rate))
            row.cell(format_money(line.gross))
    pdf.ln(6)


def _totals(pdf: FPDF, data: InvoiceData) -> None:
    pdf.set_font(FONT_FAMILY, "", 9)
    with pdf.table(
        col_widths=(25, 35, 35, 35),
        width=130,
        align="RIGHT",
        text_align=("CENTER", "RIGHT", "RIGHT", "RIGHT"),
        line_height=6,
        headings_style=FontFace(emphasis="BOLD", fill_color=_HEADING_FILL),
        padding=1,
    ) as table:
        headings = table.row()
        for title in ("Stawka VAT", "Wartość netto", "Kwota VAT", "Wartość brutto"):
            headings.cell(title)
        for total in data.rate_totals:
            row = table.row()
            row.cell(format_rate(total.vat_rate))
            row.cell(format_money(total.net))
            row.cell(format_money(total.vat))
            row.cell(format_money(total.gross))
        row = table.row(style=FontFace(emphasis="BOLD"))
        row.cell("Razem")
        row.cell(format_money(data.total_net))
        row.cell(format_money(data.total_vat))
        row.cell(format_money(data.total_gross))
    pdf.ln(6)
    pdf.set_font(FONT_FAMILY, "B", 13)
    pdf.cell(0, 8, f"Razem do zapłaty: {format_money(data.total_gross)}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _payment(pdf: FPDF, data: InvoiceData) -> None:
    pdf.set_font(FONT_FAMILY, "", 10)
    if data.paid and data.paid_on is not None:
        pdf.cell(0, 6, f"Zapłacono: {data.payment_method}, {format_date(data.paid_on)}", new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.cell(0, 6, f"Forma płatności: {data.payment_method}", new_x="LMARGIN", new_y="NEXT")
    if data.has_exempt_lines:
        pdf.ln(2)
        pdf.multi_cell(0, 6, f"Zwolnienie z VAT: {data.exemption_basis}", new_x="LMARGIN", new_y="NEXT")
