"""Seed dictionaries: specializations (code, name) and department codes (kod resortowy cz. VIII)."""

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

# A subset of "kod resortowy, część VIII" used by demo data.
DEPARTMENT_CODES = {
    "0010": "Poradnia (gabinet) lekarza podstawowej opieki zdrowotnej",
    "1100": "Poradnia kardiologiczna",
    "1200": "Poradnia dermatologiczna",
    "1300": "Poradnia rehabilitacyjna",
    "1220": "Poradnia neurologiczna",
    "1580": "Poradnia ortopedyczna",
    "1600": "Poradnia okulistyczna",
    "1450": "Poradnia ginekologiczno-położnicza",
}
