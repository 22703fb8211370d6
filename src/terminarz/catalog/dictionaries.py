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

# Kod resortowy, część VIII (specialty of an organisational unit). PARTIAL: the codes below are
# the common outpatient ones; the full official dictionary (MZ regulation on resort
# identification codes) still has to be imported – a unit with a code outside this list is refused.
DEPARTMENT_CODES = {
    "0010": "Poradnia (gabinet) lekarza podstawowej opieki zdrowotnej",
    "1000": "Poradnia chorób wewnętrznych",
    "1010": "Poradnia alergologiczna",
    "1020": "Poradnia diabetologiczna",
    "1030": "Poradnia endokrynologiczna",
    "1050": "Poradnia gastroenterologiczna",
    "1100": "Poradnia kardiologiczna",
    "1200": "Poradnia dermatologiczna",
    "1220": "Poradnia neurologiczna",
    "1300": "Poradnia rehabilitacyjna",
    "1450": "Poradnia ginekologiczno-położnicza",
    "1500": "Poradnia chirurgii ogólnej",
    "1580": "Poradnia ortopedyczna",
    "1600": "Poradnia okulistyczna",
    "1610": "Poradnia otorynolaryngologiczna",
    "1640": "Poradnia urologiczna",
    "1700": "Poradnia zdrowia psychicznego",
    "1800": "Poradnia stomatologiczna",
}
