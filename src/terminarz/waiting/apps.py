from django.apps import AppConfig


class WaitingConfig(AppConfig):
    name = "terminarz.waiting"
    label = "waiting"
    verbose_name = "Kolejki oczekujących"
