from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "terminarz.scheduling"
    label = "scheduling"

    def ready(self):
        from . import receivers

        receivers.connect()
