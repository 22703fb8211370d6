"""The 16 voivodeships with their TERYT codes (GUS), the codes stored, the names shown. The
names are proper names, the same in every language of the product."""

VOIVODESHIP_CHOICES = [
    ("02", "dolnośląskie"),
    ("04", "kujawsko-pomorskie"),
    ("06", "lubelskie"),
    ("08", "lubuskie"),
    ("10", "łódzkie"),
    ("12", "małopolskie"),
    ("14", "mazowieckie"),
    ("16", "opolskie"),
    ("18", "podkarpackie"),
    ("20", "podlaskie"),
    ("22", "pomorskie"),
    ("24", "śląskie"),
    ("26", "świętokrzyskie"),
    ("28", "warmińsko-mazurskie"),
    ("30", "wielkopolskie"),
    ("32", "zachodniopomorskie"),
]
BY_NAME = {name: code for code, name in VOIVODESHIP_CHOICES}


def code_of(text: str) -> str | None:
    """ "małopolskie", "Małopolskie", "woj. małopolskie" or "12" → "12"; None when unknown."""
    value = text.strip().lower().removeprefix("woj.").removeprefix("województwo").strip()
    if value in dict(VOIVODESHIP_CHOICES):
        return value
    return BY_NAME.get(value)
