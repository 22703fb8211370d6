from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "terminarz.core"
    label = "core"
