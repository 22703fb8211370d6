"""PWZ (prawo wykonywania zawodu) numbers of doctors: 7 digits, the first is a check digit."""


def pwz_check_digit(six_digits: str) -> int:
    return sum((i + 1) * int(d) for i, d in enumerate(six_digits)) % 11


def is_valid_pwz(number: str) -> bool:
    if len(number) != 7 or not number.isdigit() or number[0] == "0":
        return False
    return pwz_check_digit(number[1:]) == int(number[0])


def make_pwz(seed: int) -> str:
    """A valid PWZ number derived from a seed (for demo and load data)."""
    n = seed
    while True:
        six = f"{n % 1_000_000:06d}"
        check = pwz_check_digit(six)
        if 0 < check < 10:
            return f"{check}{six}"
        n += 1
