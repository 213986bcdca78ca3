from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "regulars.tracking"
    label = "tracking"
