from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "terminarz.records"
    label = "records"
    verbose_name = "Dokumenty i wnioski pacjentów"
