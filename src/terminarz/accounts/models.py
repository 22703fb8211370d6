from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Staff and (later) patient sign-in identity."""

    class Meta:
        verbose_name = "użytkownik"
        verbose_name_plural = "użytkownicy"
