"""The operator's import of the register of facilities (a CSV file, UTF-8, ";" or ","): each
row is added, updated (matched by the RPWDL book number, else by NIP) or refused with the
reason; the report says which. Numbers are checked with python-stdnum, postal codes with
the Polish format; nothing is written when the file cannot be read at all."""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from stdnum.pl import nip as nip_number
from stdnum.pl import regon as regon_number

from terminarz.core import clock
from terminarz.providers.voivodeships import code_of

from .models import RegistryFacility

COLUMNS = ("nazwa", "nip", "regon", "numer_ksiegi", "ulica", "kod_pocztowy", "miejscowosc", "wojewodztwo")
MAX_ROWS = 20000
POSTAL_CODE = re.compile(r"^[0-9]{2}-[0-9]{3}$")
BOOK = re.compile(r"^[0-9]{1,12}$")


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    error: str = ""


def _clean(row: dict) -> tuple[dict, str]:
    """The row's values for the model, or the reason it is refused."""
    values = {key: (row.get(key) or "").strip() for key in COLUMNS}
    if not values["nazwa"]:
        return {}, "brak nazwy"
    nip = re.sub(r"[\s-]", "", values["nip"])
    if nip and not (nip.isascii() and nip_number.is_valid(nip)):
        return {}, f"nieprawidłowy NIP {values['nip']}"
    regon = re.sub(r"\s", "", values["regon"])
    if regon and not (regon.isascii() and regon_number.is_valid(regon)):
        return {}, f"nieprawidłowy REGON {values['regon']}"
    book = re.sub(r"\s", "", values["numer_ksiegi"])
    if book and not BOOK.match(book):
        return {}, f"nieprawidłowy numer księgi {values['numer_ksiegi']}"
    if not (book or nip):
        return {}, "brak numeru księgi i NIP"
    if values["kod_pocztowy"] and not POSTAL_CODE.match(values["kod_pocztowy"]):
        return {}, f"nieprawidłowy kod pocztowy {values['kod_pocztowy']}"
    voivodeship = code_of(values["wojewodztwo"]) if values["wojewodztwo"] else ""
    if voivodeship is None:
        return {}, f"nieznane województwo {values['wojewodztwo']}"
    return {
        "name": values["nazwa"][:300],
        "nip": nip_number.compact(nip) if nip else "",
        "regon": regon,
        "rpwdl_book": book.zfill(12) if book else "",
        "street": values["ulica"][:200],
        "postal_code": values["kod_pocztowy"],
        "city": values["miejscowosc"][:100],
        "voivodeship": voivodeship,
    }, ""


def import_csv(data: bytes, *, now: dt.datetime | None = None) -> ImportReport:
    now = now or clock.now()
    report = ImportReport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.error = "Plik nie jest zapisany w UTF-8."
        return report
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=";,")
    except csv.Error:
        report.error = "Nie rozpoznano pliku CSV: pierwszy wiersz to nagłówek z kolumnami " + ", ".join(COLUMNS) + "."
        return report
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        report.error = "Brak kolumn: " + ", ".join(missing) + "."
        return report
    reader.fieldnames = header
    try:
        with transaction.atomic():
            for line, row in enumerate(reader, start=2):
                if line - 1 > MAX_ROWS:
                    report.refused.append((line, f"plik ma więcej niż {MAX_ROWS} wierszy – podziel go"))
                    break
                values, problem = _clean(row)
                if problem:
                    report.refused.append((line, problem))
                    continue
                try:
                    with transaction.atomic():  # one row's clash refuses that row only
                        _store(values, report, now)
                except IntegrityError:
                    report.refused.append((line, f"numer księgi {values['rpwdl_book']} ma już inny podmiot"))
    except csv.Error as error:
        return ImportReport(error=f"Nie udało się odczytać pliku CSV: {error}.")
    return report


def _store(values: dict, report: ImportReport, now: dt.datetime) -> None:
    """Matched by the RPWDL book number; by NIP only when the row has no book number (one
    taxpayer may run several registered entities, each with its own book)."""
    if values["rpwdl_book"]:
        found = RegistryFacility.objects.filter(rpwdl_book=values["rpwdl_book"]).first()
    else:
        found = RegistryFacility.objects.filter(nip=values["nip"], rpwdl_book="").first()
    if found is None:
        RegistryFacility.objects.create(**values, imported_at=now, updated_at=now)
        report.added += 1
        return
    changed = {key: value for key, value in values.items() if value and getattr(found, key) != value}
    if changed:
        for key, value in changed.items():
            setattr(found, key, value)
        found.updated_at = now
        found.save()
        report.updated += 1
