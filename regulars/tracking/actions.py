"""Record opens, clicks, provider events and unsubscribes (MSG-7, INT-3, DATA-6).

Scanner detection: security gateways fetch every link of a message within seconds of
delivery, or announce themselves in the user agent. Such hits are stored with
`is_scanner=True` and move nothing forward: no opened/clicked status, no statistics.
"""

import logging
import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from regulars.customers.actions import record_consent
from regulars.customers.models import Customer
from regulars.messaging.actions import record_message_event
from regulars.messaging.models import Channel, Message, Status
from regulars.orgs.models import Organisation

from .models import EventKind, TrackingEvent

log = logging.getLogger(__name__)

SCANNER_AGENTS = re.compile(
    r"barracuda|mimecast|proofpoint|urldefense|safelinks|symantec|messagelabs|trendmicro|"
    r"forcepoint|zscaler|fortiguard|sophos|bitdefender|cisco|ironport|python-requests|curl/|"
    r"wget|go-http-client|headlesschrome|phantomjs|bot\b|crawler|spider",
    re.IGNORECASE,
)
# A click this soon after sending is no human reading the mail.
INSTANT_SECONDS = 10
# Two different links of one message clicked this close together: a scanner sweep.
SWEEP_SECONDS = 2


def is_scanner_agent(user_agent: str) -> bool:
    return bool(SCANNER_AGENTS.search(user_agent or ""))


def _instant(message: Message, now) -> bool:
    sent = message.sent_at or message.delivered_at
    return sent is not None and now - sent < timedelta(seconds=INSTANT_SECONDS)


@transaction.atomic
def record_open(*, message: Message, user_agent: str = "") -> TrackingEvent:
    now = timezone.now()
    scanner = is_scanner_agent(user_agent)
    event = _event(
        message, EventKind.OPEN, now, user_agent=user_agent, is_scanner=scanner, source="pixel"
    )
    if not scanner:
        record_message_event(message=message, event=Status.OPENED, at=now)
    return event


@transaction.atomic
def record_click(*, message: Message, url: str, user_agent: str = "") -> TrackingEvent:
    """A click on a tracked link; a click implies an open."""
    now = timezone.now()
    sweep = TrackingEvent.objects.filter(
        message=message, kind=EventKind.CLICK, at__gte=now - timedelta(seconds=SWEEP_SECONDS)
    ).exclude(url=url)
    scanner = is_scanner_agent(user_agent) or _instant(message, now) or sweep.exists()
    if scanner:
        sweep.update(is_scanner=True)
    event = _event(
        message,
        EventKind.CLICK,
        now,
        url=url,
        user_agent=user_agent,
        is_scanner=scanner,
        source="redirect",
    )
    if not scanner:
        record_message_event(message=message, event=Status.CLICKED, at=now)
        if message.opened_at is None:
            record_message_event(message=message, event=Status.OPENED, at=now)
    return event


def _event(message: Message, kind: str, at, **fields) -> TrackingEvent:
    return TrackingEvent.objects.create(
        organisation_id=message.organisation_id, message=message, kind=kind, at=at, **fields
    )


PROVIDER_EVENTS = {
    "delivered": (EventKind.DELIVERED, Status.DELIVERED),
    "bounced": (EventKind.BOUNCED, Status.BOUNCED),
    "rejected": (EventKind.BOUNCED, Status.BOUNCED),
    "complained": (EventKind.COMPLAINED, Status.COMPLAINED),
    "opened": (EventKind.OPEN, Status.OPENED),
    "clicked": (EventKind.CLICK, Status.CLICKED),
}


@transaction.atomic
def record_provider_event(
    *, provider_id: str, event_type: str, esp: str, url: str = "", user_agent: str = "", at=None
) -> TrackingEvent | None:
    """An e-mail service's webhook event for one of our messages; bounces and complaints
    suppress the address. Unknown messages and event types are logged and ignored."""
    # Some services wrap their ids in <> in events but not in send answers, or the reverse.
    candidates = {provider_id, provider_id.strip("<>"), f"<{provider_id.strip('<>')}>"}
    message = Message.objects.filter(provider_id__in=candidates).first() if provider_id else None
    if event_type == "unsubscribed" and message is not None:
        return unsubscribe(message=message, source=f"{esp} webhook")
    if message is None or event_type not in PROVIDER_EVENTS:
        log.info("ignored %s event %s for %r", esp, event_type, provider_id)
        return None
    kind, status = PROVIDER_EVENTS[event_type]
    at = at or timezone.now()
    scanner = kind in (EventKind.OPEN, EventKind.CLICK) and is_scanner_agent(user_agent)
    event = _event(
        message,
        kind,
        at,
        url=url[:2000],
        user_agent=user_agent[:400],
        is_scanner=scanner,
        source=esp[:40],
    )
    if not scanner:
        record_message_event(message=message, event=status, at=at)
    return event


def _consent_kind(message: Message) -> str | None:
    return {Channel.EMAIL: "email", Channel.SMS: "sms"}.get(Channel(message.channel))


@transaction.atomic
def unsubscribe(*, message: Message, source: str = "unsubscribe link") -> TrackingEvent:
    """Withdraw the customer's newsletter consent for the message's channel, with the
    message as proof (DATA-6); forfeits points where a loyalty program says so."""
    customer = message.customer
    kind = _consent_kind(message)
    already = TrackingEvent.objects.filter(message=message, kind=EventKind.UNSUBSCRIBED).first()
    if already is not None:
        return already
    if customer is not None and kind is not None:
        record_consent(
            customer=customer, kind=kind, granted=False, source=source, message_key=message.key
        )
        _forfeit_points(customer)
    return _event(message, EventKind.UNSUBSCRIBED, timezone.now(), source=source[:40])


def _forfeit_points(customer: Customer) -> None:
    from regulars.loyalty import actions as loyalty

    if hasattr(loyalty, "forfeit_points_for_unsubscribe"):
        loyalty.forfeit_points_for_unsubscribe(customer=customer)


STOP_WORDS = {"stop", "stopp", "afmeld", "avmeld", "stopall", "unsubscribe", "end", "cancel"}


def is_stop(text: str) -> bool:
    words = (text or "").strip().split()
    return bool(words) and words[0].strip(".!").lower() in STOP_WORDS


@transaction.atomic
def sms_stop(*, organisation: Organisation, mobile: str, text: str, source: str) -> int:
    """A STOP reply: withdraw SMS consent of every customer with that number; returns how many."""
    if not is_stop(text):
        return 0
    customers = Customer.objects.filter(organisation=organisation, mobile=mobile, sms_consent=True)
    count = 0
    for customer in customers:
        last = (
            Message.objects.filter(customer=customer, channel=Channel.SMS)
            .exclude(sent_at=None)
            .order_by("-sent_at")
            .first()
        )
        record_consent(
            customer=customer,
            kind="sms",
            granted=False,
            source=source,
            text_shown=text[:200],
            message_key=last.key if last else "",
        )
        count += 1
    return count
