"""Ids typed by people or sent in forms and URLs: ASCII digits within the database's range."""

MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """The id, or None for anything else ("", "abc", "-5", "²" – which str.isdigit() accepts but
    int() refuses –, or a number past a 64-bit integer)."""
    text = str(value or "").strip()
    if not text or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
