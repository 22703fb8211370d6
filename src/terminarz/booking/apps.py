from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "terminarz.booking"
    label = "booking"
