from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "terminarz.notifications"
    label = "notifications"
