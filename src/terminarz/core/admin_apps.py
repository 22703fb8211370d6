from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class TerminarzAdminConfig(AdminConfig):
    """Django admin with our site class (sign-in through the back-office, second factor)."""

    default_site = "terminarz.clinic.admin_site.TerminarzAdminSite"

    def ready(self):
        super().ready()  # autodiscover: every app's admin module is registered now
        admin.site.unregister_factor_models()  # type: ignore[attr-defined]
