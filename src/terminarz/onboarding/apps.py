from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "terminarz.onboarding"
    label = "onboarding"
    verbose_name = _("Przystąpienie placówek")

    def ready(self) -> None:
        from . import changes, services, suspension  # noqa: F401  (message contexts)
