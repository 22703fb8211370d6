"""What a PESEL number says about its owner: birth date and sex."""

import datetime as dt

CENTURY_OFFSETS = {80: 1800, 0: 1900, 20: 2000, 40: 2100, 60: 2200}


def birth_date_from_pesel(pesel: str) -> dt.date | None:
    if len(pesel) != 11 or not pesel.isdigit():
        return None
    year, month, day = int(pesel[0:2]), int(pesel[2:4]), int(pesel[4:6])
    for offset, century in CENTURY_OFFSETS.items():
        if offset < month <= offset + 12:
            try:
                return dt.date(century + year, month - offset, day)
            except ValueError:
                return None
    return None


def sex_from_pesel(pesel: str) -> str:
    """ "F" or "M" from the tenth digit (even: female), "" when not a PESEL."""
    if len(pesel) != 11 or not pesel.isdigit():
        return ""
    return "M" if int(pesel[9]) % 2 else "F"


def age_on(born: dt.date, day: dt.date) -> int:
    """Full years of someone born on `born` on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
