from django.apps import AppConfig


class WaitingConfig(AppConfig):
    name = "terminarz.waiting"
    label = "waiting"
    verbose_name = "Kolejki oczekujących"

    def ready(self):
        from . import notifications  # noqa: F401  (registers message context builders)
