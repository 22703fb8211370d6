from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsurersConfig(AppConfig):
    name = "terminarz.insurers"
    label = "insurers"
    verbose_name = _("Ubezpieczyciele")

    def ready(self) -> None:
        from . import payer_booking, referrals  # noqa: F401  (payer channel policies, message contexts)
