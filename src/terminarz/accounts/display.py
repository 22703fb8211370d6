"""How a patient account is named on pages and in messages: the person's name, else the
e-mail address; never the internal username."""


def user_display(user) -> str:
    return user.get_full_name().strip() or user.email or ""
