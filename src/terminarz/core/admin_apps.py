from django.contrib.admin.apps import AdminConfig


class TerminarzAdminConfig(AdminConfig):
    """Django admin with our site class (sign-in through the back-office, second factor)."""

    default_site = "terminarz.core.admin_site.TerminarzAdminSite"
