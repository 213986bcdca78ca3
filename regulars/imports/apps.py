from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "regulars.imports"
    label = "imports"
