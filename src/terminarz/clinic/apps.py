from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "terminarz.clinic"
    label = "clinic"

    def ready(self):
        from . import two_factor  # noqa: F401  (registers the login-code message context)
