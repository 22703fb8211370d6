from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "terminarz.demo"
    label = "demo"
