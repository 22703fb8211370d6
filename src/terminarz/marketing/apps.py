from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "terminarz.marketing"
    label = "marketing"
    verbose_name = "Kampanie marketingowe"

    def ready(self) -> None:
        from . import services  # noqa: F401 (registers the delivery guard of marketing messages)
