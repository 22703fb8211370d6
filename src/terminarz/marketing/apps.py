from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "terminarz.marketing"
    label = "marketing"
    verbose_name = "Kampanie marketingowe"
