from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "terminarz.portal"
    label = "portal"
