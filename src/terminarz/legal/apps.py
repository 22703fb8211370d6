from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "terminarz.legal"
    label = "legal"
    verbose_name = "Regulaminy"
