from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "terminarz.providers"
    label = "providers"
