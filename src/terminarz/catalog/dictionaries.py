"""Seed dictionaries: specializations (code, name) and department codes (kod resortowy cz. VIII)."""

import csv
from pathlib import Path

SPECIALIZATIONS = [
    ("kardiologia", "Kardiologia"),
    ("dermatologia", "Dermatologia i wenerologia"),
    ("medycyna-rodzinna", "Medycyna rodzinna"),
    ("choroby-wewnetrzne", "Choroby wewnętrzne"),
    ("pediatria", "Pediatria"),
    ("rehabilitacja", "Rehabilitacja medyczna"),
    ("fizjoterapia", "Fizjoterapia"),
    ("ortopedia", "Ortopedia i traumatologia narządu ruchu"),
    ("neurologia", "Neurologia"),
    ("okulistyka", "Okulistyka"),
    ("ginekologia", "Położnictwo i ginekologia"),
    ("laryngologia", "Otorynolaryngologia"),
    ("endokrynologia", "Endokrynologia"),
    ("psychiatria", "Psychiatria"),
    ("urologia", "Urologia"),
    ("alergologia", "Alergologia"),
]

# Specialists an NFZ patient may see without a referral (ustawa o świadczeniach opieki
# zdrowotnej, art. 57 ust. 2: ginekolog i położnik, dermatolog-wenerolog, psychiatra, and so on),
# with the family doctor of primary care.
REFERRAL_FREE = frozenset({"ginekologia", "dermatologia", "psychiatria", "medycyna-rodzinna"})


# Kod resortowy, część VIII (specialty of an organisational unit), shipped as data/department_codes.csv.
# source "official": the 359 codes of the consolidated MZ regulation (Dz.U. 2019 poz. 173), checked
# against HL7 Poland's code system "Specjalność komórki organizacyjnej (cz. VIII SKR)".
# source "derived-children": the "… dla dzieci" variants (official code + 1) for clinic and ward
# types, following the numbering rule of the official list; not checked against a published list.
def _load_department_codes() -> dict[str, str]:
    path = Path(__file__).with_name("data") / "department_codes.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


DEPARTMENT_CODES = _load_department_codes()
