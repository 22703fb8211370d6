from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "terminarz.integrations"
    label = "integrations"
    verbose_name = _("Integracje")

    def ready(self) -> None:
        from . import receivers, services  # noqa: F401  (message contexts, event subscribers)
