from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "terminarz.accounts"
    label = "accounts"
