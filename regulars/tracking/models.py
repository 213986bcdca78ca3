"""What happened to sent messages: opens, clicks, provider events, unsubscribes (MSG-7)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from regulars.messaging.models import Message
from regulars.orgs.models import Organisation


class EventKind(models.TextChoices):
    OPEN = "open", _("Opened")
    CLICK = "click", _("Clicked")
    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class TrackingEvent(models.Model):
    """One event of one message. Scanner hits are kept, flagged, and left out of statistics."""

    # Indexed only as the first column of the (organisation, kind, at) index.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, db_index=False)
    # Indexed only as the first column of the (message, kind, at) index.
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
    )
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    url = models.CharField(max_length=2000, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    is_scanner = models.BooleanField(default=False)
    source = models.CharField(max_length=40, blank=True)  # pixel, redirect, esp name, sms …
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["message", "kind", "at"]),
            models.Index(fields=["organisation", "kind", "at"]),
        ]
