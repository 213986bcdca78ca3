from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "regulars.commerce"
    label = "commerce"
