from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "terminarz.payments"
    label = "payments"
    verbose_name = _("Płatności online")

    def ready(self):
        from . import notifications, policies, receivers  # noqa: F401  (message contexts, pipeline policies, subscribers)
