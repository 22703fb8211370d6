from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "terminarz.staff"
    label = "staff"
