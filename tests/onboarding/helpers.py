"""Valid Polish numbers for tests (check digits from python-stdnum) and a filled application."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from stdnum.pl import nip as nip_number
from stdnum.pl import regon as regon_number

from terminarz.onboarding.models import RegistryFacility
from tests.conftest import FROZEN_NOW

PDF = b"%PDF-1.4\n% wypis z RPWDL\n"


def valid_nip(first9: str) -> str:
    return next(first9 + digit for digit in "0123456789" if nip_number.is_valid(first9 + digit))


def valid_regon(first8: str) -> str:
    return first8 + regon_number.calc_check_digit(first8)


def extract(name: str = "wypis.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def facility(name="Centrum Medyczne Zdrowie", nip="", book="000000012345", **extra) -> RegistryFacility:
    return RegistryFacility.objects.create(
        name=name,
        nip=nip or valid_nip("526104123"),
        regon=valid_regon(book[-8:]),
        rpwdl_book=book,
        street="ul. Zdrowa 5",
        postal_code="30-001",
        city="Kraków",
        voivodeship="12",
        imported_at=FROZEN_NOW - dt.timedelta(days=30),
        updated_at=FROZEN_NOW - dt.timedelta(days=30),
        **extra,
    )


def application_data(**changes) -> dict:
    data = {
        "name": "Gabinet Nowy sp. z o.o.",
        "nip": valid_nip("779231112"),
        "regon": valid_regon("30123456"),
        "rpwdl_book": "000000054321",
        "street": "ul. Polna 1",
        "postal_code": "60-101",
        "city": "Poznań",
        "voivodeship": "30",
        "phone": "+48 61 123 45 67",
        "first_name": "Anna",
        "last_name": "Wnioskująca",
        "email": "anna@gabinet-nowy.example",
    }
    data.update(changes)
    return data
