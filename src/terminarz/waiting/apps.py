from django.apps import AppConfig


class WaitingConfig(AppConfig):
    name = "terminarz.waiting"
    label = "waiting"
    verbose_name = "Kolejki oczekujących"

    def ready(self):
        from . import notifications, receivers  # noqa: F401  (message context builders, receivers)
