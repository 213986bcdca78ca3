from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "regulars.tracking"
    label = "tracking"

    def ready(self) -> None:
        from .webhooks import connect

        connect()
