from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "terminarz.clinic"
    label = "clinic"
