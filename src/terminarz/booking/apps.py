from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "terminarz.booking"
    label = "booking"

    def ready(self):
        from . import notifications, receivers  # noqa: F401  (message context builders, receivers)
