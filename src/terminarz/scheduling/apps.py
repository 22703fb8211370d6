from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "terminarz.scheduling"
    label = "scheduling"
