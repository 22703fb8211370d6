from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "terminarz.accounts"
    label = "accounts"

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from .email_code import app_code_added

        authenticator_added.connect(app_code_added, dispatch_uid="accounts-app-code-added")
