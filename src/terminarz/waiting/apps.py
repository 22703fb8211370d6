from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaitingConfig(AppConfig):
    name = "terminarz.waiting"
    label = "waiting"
    verbose_name = _("Kolejki oczekujących")

    def ready(self):
        from . import notifications, receivers  # noqa: F401  (message context builders, receivers)
