from django.apps import AppConfig


class PayerDeskConfig(AppConfig):
    name = "terminarz.payerdesk"
    label = "payerdesk"
    verbose_name = "Ubezpieczyciel – panel"
