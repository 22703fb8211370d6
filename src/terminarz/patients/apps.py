from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "terminarz.patients"
    label = "patients"
