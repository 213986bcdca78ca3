"""anymail's tracking signal → our actions. anymail has already verified the signature."""

from anymail.signals import tracking

from .actions import record_provider_event


def on_tracking_event(sender, event, esp_name, **kwargs) -> None:
    record_provider_event(
        provider_id=str(event.message_id or ""),
        event_type=str(event.event_type),
        esp=esp_name,
        url=event.click_url or "",
        user_agent=event.user_agent or "",
        at=event.timestamp,
    )


def connect() -> None:
    tracking.connect(on_tracking_event, dispatch_uid="regulars.tracking")
