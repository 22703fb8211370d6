from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperatorDeskConfig(AppConfig):
    name = "terminarz.operatordesk"
    label = "operatordesk"
    verbose_name = _("Panel operatora platformy")
