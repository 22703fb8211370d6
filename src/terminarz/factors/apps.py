from django.apps import AppConfig


class FactorsConfig(AppConfig):
    name = "terminarz.factors"
    label = "factors"
    verbose_name = "Drugi składnik logowania"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import services  # noqa: F401  (registers the login-code message context)
