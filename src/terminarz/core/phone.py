"""Phone numbers as the lookups compare them."""


def phone_digits(phone: str) -> str:
    """Phone numbers compare by their last nine digits (+48 600 100 200 == 600100200)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-9:]
