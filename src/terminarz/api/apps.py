from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "terminarz.api"
    label = "api"
