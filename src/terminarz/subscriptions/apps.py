from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "terminarz.subscriptions"
    label = "subscriptions"
    verbose_name = _("Abonamenty rejestracji on-line")

    def ready(self) -> None:
        from terminarz.scheduling import publication

        from . import services

        publication.register(services.check_quota)
