from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "regulars.web"
    label = "web"
