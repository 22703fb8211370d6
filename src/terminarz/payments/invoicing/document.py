"""The invoice as plain data: parties, lines and the totals computed from them.

Prices are gross (a patient pays the price shown when booking), so the VAT of each rate is
computed from that rate's gross total: VAT = gross × rate / (100 + rate), rounded half-up to
grosze, and net = gross − VAT (art. 106e ust. 7 i 8 ustawy o VAT). `line_amounts` spreads
each rate's VAT over its lines so that the lines add up to the rate totals exactly.

Everything is `Decimal`; a float anywhere is refused. Errors are `ValueError`s with a Polish
message that can be shown to the clinic's staff as they are.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

GROSZ = Decimal("0.01")

VAT_EXEMPT = "zw"
# Every rate an invoice line may have, in the order of the FA(3) summary (P_13_1 … P_13_7)
# and of the totals table on the PDF.
VAT_RATES: tuple[str, ...] = ("23", "8", "5", "0", VAT_EXEMPT)
# Medical care by a medical entity ("podmiot leczniczy") is exempt from VAT.
EXEMPTION_BASIS_MEDICAL = "art. 43 ust. 1 pkt 18 ustawy o VAT"

PAYMENT_TRANSFER = "przelew"
PAYMENT_ONLINE = "płatność online"
PAYMENT_CASH = "gotówka"
PAYMENT_CARD = "karta"
PAYMENT_METHODS: tuple[str, ...] = (PAYMENT_TRANSFER, PAYMENT_ONLINE, PAYMENT_CASH, PAYMENT_CARD)

CURRENCY = "PLN"

NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
MAX_QUANTITY_PLACES = 6  # FA(3) P_8B (TIlosci)
MAX_AMOUNT_PLACES = 2


def money(value: Decimal) -> Decimal:
    """Round to grosze, half-up (the way Polish tax amounts are rounded)."""
    return value.quantize(GROSZ, rounding=ROUND_HALF_UP)


def normalize_nip(value: str) -> str:
    """The NIP as 10 digits (spaces and hyphens dropped); `ValueError` if it is not a valid one."""
    digits = value.replace("-", "").replace(" ", "").strip()
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"NIP „{value}” musi składać się z 10 cyfr.")
    checksum = sum(int(digit) * weight for digit, weight in zip(digits, NIP_WEIGHTS, strict=False)) % 11
    if checksum == 10 or checksum != int(digits[9]):
        raise ValueError(f"NIP „{value}” ma błędną cyfrę kontrolną.")
    # The tax office code (first three digits) never starts with 0 and is never x00
    # (the pattern of TNrNIP in the FA(3) schema).
    if digits[0] == "0" or digits[1:3] == "00":
        raise ValueError(f"NIP „{value}” ma nieprawidłowy kod urzędu skarbowego.")
    return digits


def is_valid_nip(value: str) -> bool:
    try:
        normalize_nip(value)
    except ValueError:
        return False
    return True


def _decimal(value: object, what: str) -> Decimal:
    # bool is an int; float is never accepted (no binary fractions in money).
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValueError(f"{what}: oczekiwano liczby typu Decimal, otrzymano {type(value).__name__}.")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{what}: wartość {value} nie jest liczbą.")
    return result


def _has_at_most_places(value: Decimal, places: int) -> bool:
    try:
        return value == value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # too many digits for the decimal context
        return False


def _text(value: object, what: str, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what}: oczekiwano tekstu.")
    text = " ".join(value.split())
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in text):
        raise ValueError(f"{what}: usuń niedozwolone znaki (znaki sterujące).")
    if required and not text:
        raise ValueError(f"{what}: pole jest wymagane.")
    return text


@dataclass(frozen=True)
class Party:
    """The seller (a provider: NIP required) or the buyer (a patient may have no NIP)."""

    name: str
    nip: str | None
    street: str
    postal_code: str
    city: str
    country: str = "PL"

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _text(self.name, "Nazwa"))
        object.__setattr__(self, "street", _text(self.street, "Ulica"))
        object.__setattr__(self, "city", _text(self.city, "Miejscowość"))
        country = _text(self.country, "Kraj").upper()
        if len(country) != 2 or not (country.isascii() and country.isalpha()):
            raise ValueError(f"Kraj „{self.country}” musi być dwuliterowym kodem ISO (np. PL).")
        object.__setattr__(self, "country", country)
        postal_code = _text(self.postal_code, "Kod pocztowy", required=country == "PL")
        if country == "PL" and not (
            len(postal_code) == 6 and postal_code[2] == "-" and (postal_code[:2] + postal_code[3:]).isdigit()
        ):
            raise ValueError(f"Kod pocztowy „{self.postal_code}” musi mieć postać 00-000.")
        object.__setattr__(self, "postal_code", postal_code)
        nip = self.nip.strip() if isinstance(self.nip, str) else self.nip
        if nip is not None and not isinstance(nip, str):
            raise ValueError("NIP: oczekiwano tekstu.")
        object.__setattr__(self, "nip", normalize_nip(nip) if nip else None)

    @property
    def city_line(self) -> str:
        """The second address line: "00-950 Warszawa"."""
        return f"{self.postal_code} {self.city}".strip()


@dataclass(frozen=True)
class Line:
    """One invoice line at a gross unit price; `vat_rate` is one of `VAT_RATES`."""

    name: str
    quantity: Decimal
    unit_price_gross: Decimal
    vat_rate: str = VAT_EXEMPT

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _text(self.name, "Nazwa pozycji"))
        quantity = _decimal(self.quantity, f"Ilość ({self.name})")
        if quantity <= 0:
            raise ValueError(f"Ilość ({self.name}) musi być większa od zera.")
        if not _has_at_most_places(quantity, MAX_QUANTITY_PLACES):
            raise ValueError(f"Ilość ({self.name}) może mieć najwyżej {MAX_QUANTITY_PLACES} miejsc po przecinku.")
        price = _decimal(self.unit_price_gross, f"Cena ({self.name})")
        if price < 0:
            raise ValueError(f"Cena ({self.name}) nie może być ujemna.")
        if not _has_at_most_places(price, MAX_AMOUNT_PLACES):
            raise ValueError(f"Cena ({self.name}) może mieć najwyżej 2 miejsca po przecinku (grosze).")
        if self.vat_rate not in VAT_RATES:
            raise ValueError(f"Nieznana stawka VAT „{self.vat_rate}” (dozwolone: {', '.join(VAT_RATES)}).")
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "unit_price_gross", price)

    @property
    def gross(self) -> Decimal:
        return money(self.quantity * self.unit_price_gross)

    @property
    def rate_percent(self) -> Decimal | None:
        """The rate as a number of percent; None for the exemption."""
        return None if self.vat_rate == VAT_EXEMPT else Decimal(self.vat_rate)


@dataclass(frozen=True)
class RateTotal:
    """Net, VAT and gross of all lines at one rate."""

    vat_rate: str
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class LineAmounts:
    """A line's share of its rate's totals (the amounts of FA(3) P_11, P_11Vat, P_11A)."""

    line: Line
    net: Decimal
    vat: Decimal
    gross: Decimal


def _vat_from_gross(gross: Decimal, rate: str) -> Decimal:
    if rate in (VAT_EXEMPT, "0"):
        return Decimal("0.00")
    percent = Decimal(rate)
    return money(gross * percent / (100 + percent))


@dataclass(frozen=True)
class InvoiceData:
    """Everything an invoice shows. `number` is given (per provider and year, no gaps)."""

    number: str
    issue_date: date
    sale_date: date
    place: str
    seller: Party
    buyer: Party
    lines: Sequence[Line]
    payment_method: str
    paid: bool
    paid_on: date | None = None
    currency: str = CURRENCY
    # Printed on the PDF and written to FA(3) P_19A when a line is exempt ("zw").
    exemption_basis: str = EXEMPTION_BASIS_MEDICAL

    def __post_init__(self) -> None:
        number = _text(self.number, "Numer faktury")
        if len(number) > 256:
            raise ValueError("Numer faktury może mieć najwyżej 256 znaków.")
        object.__setattr__(self, "number", number)
        object.__setattr__(self, "place", _text(self.place, "Miejsce wystawienia"))
        for value, what in ((self.issue_date, "Data wystawienia"), (self.sale_date, "Data sprzedaży")):
            if not isinstance(value, date) or isinstance(value, datetime):
                raise ValueError(f"{what}: oczekiwano daty.")
        if not isinstance(self.seller, Party) or not isinstance(self.buyer, Party):
            raise ValueError("Sprzedawca i nabywca muszą być podani.")
        if self.seller.nip is None:
            raise ValueError("Sprzedawca musi mieć NIP.")
        lines = tuple(self.lines)
        if not lines:
            raise ValueError("Faktura musi mieć co najmniej jedną pozycję.")
        if not all(isinstance(line, Line) for line in lines):
            raise ValueError("Pozycje faktury muszą być typu Line.")
        object.__setattr__(self, "lines", lines)
        if self.payment_method not in PAYMENT_METHODS:
            raise ValueError(
                f"Nieznana forma płatności „{self.payment_method}” (dozwolone: {', '.join(PAYMENT_METHODS)})."
            )
        if self.paid:
            if not isinstance(self.paid_on, date) or isinstance(self.paid_on, datetime):
                raise ValueError("Dla opłaconej faktury podaj datę zapłaty.")
        elif self.paid_on is not None:
            raise ValueError("Data zapłaty może być podana tylko dla opłaconej faktury.")
        if self.currency != CURRENCY:
            raise ValueError(f"Faktury wystawiamy tylko w złotych (PLN), nie w „{self.currency}”.")
        basis = _text(self.exemption_basis, "Podstawa zwolnienia z VAT", required=self.has_exempt_lines)
        object.__setattr__(self, "exemption_basis", basis)

    @property
    def has_exempt_lines(self) -> bool:
        return any(line.vat_rate == VAT_EXEMPT for line in self.lines)

    @property
    def rate_totals(self) -> tuple[RateTotal, ...]:
        """One total per rate that occurs, in the order of `VAT_RATES`."""
        totals = []
        for rate in VAT_RATES:
            lines = [line for line in self.lines if line.vat_rate == rate]
            if not lines:
                continue
            gross = sum((line.gross for line in lines), Decimal("0.00"))
            vat = _vat_from_gross(gross, rate)
            totals.append(RateTotal(vat_rate=rate, net=gross - vat, vat=vat, gross=gross))
        return tuple(totals)

    @property
    def total_net(self) -> Decimal:
        return sum((total.net for total in self.rate_totals), Decimal("0.00"))

    @property
    def total_vat(self) -> Decimal:
        return sum((total.vat for total in self.rate_totals), Decimal("0.00"))

    @property
    def total_gross(self) -> Decimal:
        return sum((total.gross for total in self.rate_totals), Decimal("0.00"))

    def line_amounts(self) -> tuple[LineAmounts, ...]:
        """Each line's net, VAT and gross, in the order of `lines`. A rate's VAT goes to its
        lines by their own rounding; the grosz or two of difference from the rate's total (its
        VAT is computed from the summed gross) goes to the largest line of that rate."""
        vat_by_line = [_vat_from_gross(line.gross, line.vat_rate) for line in self.lines]
        for total in self.rate_totals:
            indexes = [i for i, line in enumerate(self.lines) if line.vat_rate == total.vat_rate]
            difference = total.vat - sum((vat_by_line[i] for i in indexes), Decimal("0.00"))
            if difference:
                largest = max(indexes, key=lambda i: self.lines[i].gross)
                vat_by_line[largest] += difference
        return tuple(
            LineAmounts(line=line, net=line.gross - vat, vat=vat, gross=line.gross)
            for line, vat in zip(self.lines, vat_by_line, strict=True)
        )


# -- the document as issued, stored as JSON and read back the same ------------------------


def _party_json(party: Party) -> dict:
    return {
        "name": party.name,
        "nip": party.nip,
        "street": party.street,
        "postal_code": party.postal_code,
        "city": party.city,
        "country": party.country,
    }


def to_json(data: InvoiceData) -> dict:
    """The invoice as plain JSON (what is stored when it is issued)."""
    return {
        "number": data.number,
        "issue_date": data.issue_date.isoformat(),
        "sale_date": data.sale_date.isoformat(),
        "place": data.place,
        "seller": _party_json(data.seller),
        "buyer": _party_json(data.buyer),
        "lines": [
            {"name": ln.name, "quantity": str(ln.quantity), "price": str(ln.unit_price_gross), "vat": ln.vat_rate}
            for ln in data.lines
        ],
        "payment_method": data.payment_method,
        "paid_on": data.paid_on.isoformat() if data.paid_on else None,
    }


def from_json(raw: dict) -> InvoiceData:
    """The stored invoice back as `InvoiceData` (the inverse of `to_json`)."""
    return InvoiceData(
        number=raw["number"],
        issue_date=date.fromisoformat(raw["issue_date"]),
        sale_date=date.fromisoformat(raw["sale_date"]),
        place=raw["place"],
        seller=Party(**raw["seller"]),
        buyer=Party(**raw["buyer"]),
        lines=[
            Line(
                name=ln["name"],
                quantity=Decimal(ln["quantity"]),
                unit_price_gross=Decimal(ln["price"]),
                vat_rate=ln["vat"],
            )
            for ln in raw["lines"]
        ],
        payment_method=raw["payment_method"],
        paid=raw["paid_on"] is not None,
        paid_on=date.fromisoformat(raw["paid_on"]) if raw["paid_on"] else None,
    )
