from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "terminarz.booking"
    label = "booking"

    def ready(self):
        from . import notifications  # noqa: F401  (registers message context builders)
