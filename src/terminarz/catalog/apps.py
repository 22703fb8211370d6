from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "terminarz.catalog"
    label = "catalog"
