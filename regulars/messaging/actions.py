"""Writes on the delivery ledger: queue a message, record provider events, suppress addresses.

`queue_message` is the one way any message leaves the system (MSG-8): it writes the row
with its unique key first; the worker (`regulars.messaging.delivery`) hands it to a
provider later. The same key twice is one message.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from . import sql
from .models import Channel, Message, Status, Suppression

log = logging.getLogger(__name__)

# Why a message was not queued: stored in English, translated where shown.
NO_ADDRESS = gettext_noop("no address")
NO_CONSENT = gettext_noop("no consent")
ERASED = gettext_noop("customer erased")
SUPPRESSED = gettext_noop("address suppressed (bounce or complaint)")


@dataclass(frozen=True)
class Draft:
    """One message's content for one customer, before it is in the ledger."""

    customer: Customer
    key: str
    subject: str
    body_html: str | None
    body_text: str


def address_of(customer: Customer, channel: str) -> str:
    """The address a channel reaches the customer at, or '' when it has none."""
    if channel == Channel.EMAIL:
        return customer.email
    if channel == Channel.SMS:
        return customer.mobile
    return "\n".join(letter_address_lines(customer))


def letter_address_lines(customer: Customer) -> list[str]:
    """The postal address block; empty unless name, street and postcode + city are known."""
    city_line = f"{customer.postcode} {customer.city}".strip()
    if not (customer.full_name and customer.address and customer.postcode and customer.city):
        return []
    return [customer.full_name, customer.address, city_line]


def has_consent(customer: Customer, channel: str) -> bool:
    """Newsletter consent for the channel. Letters need none (postal mail is not opt-in)."""
    if channel == Channel.EMAIL:
        return customer.email_consent
    if channel == Channel.SMS:
        return customer.sms_consent
    return True


def skip_reason(
    customer: Customer, channel: str, requires_consent: bool, suppressed: set[str] | None = None
) -> str:
    """Why this customer cannot get a message on this channel, or '' when they can."""
    if customer.is_erased:
        return ERASED
    address = address_of(customer, channel)
    if not address:
        return NO_ADDRESS
    if requires_consent and not has_consent(customer, channel):
        return NO_CONSENT
    if suppressed is None:
        suppressed = suppressed_addresses(customer.organisation_id, [address])
    if address.lower() in suppressed:
        return SUPPRESSED
    return ""


def suppressed_addresses(organisation_id: int, addresses: Iterable[str]) -> set[str]:
    lowered = {a.lower() for a in addresses if a}
    return set(
        Suppression.objects.filter(
            organisation_id=organisation_id, address__in=lowered
        ).values_list("address", flat=True)
    )


def queue_message(
    *,
    organisation: Organisation,
    customer: Customer,
    channel: str,
    key: str,
    subject: str,
    body_html: str | None,
    body_text: str,
    source: str,
    requires_consent: bool,
) -> Message | None:
    """Record one message in the ledger for the worker to deliver.

    Idempotent: a key already queued or sent returns the existing row untouched. Returns
    None, keeping a `skipped` row with the reason, when the customer has no address, lacks
    the consent (and `requires_consent`), is erased, or the address is suppressed. A key
    that was skipped before is looked at again (consent may have been given since).
    """
    if customer.organisation_id != organisation.pk:
        raise ValueError("customer belongs to another organisation")
    channel = Channel(channel)
    draft = Draft(customer, key, subject, body_html, body_text)
    reason = skip_reason(customer, channel, requires_consent)
    return _record(organisation, channel, source, draft, reason)


def _record(
    organisation: Organisation, channel: str, source: str, draft: Draft, reason: str
) -> Message | None:
    existing = Message.objects.filter(organisation=organisation, key=draft.key).first()
    if existing is not None and existing.status != Status.SKIPPED:
        return existing
    fields = _fields(organisation, channel, source, draft, reason)
    if reason:
        log.info("skipped %s to customer %s: %s", draft.key, draft.customer.pk, reason)
    try:
        with transaction.atomic():
            if existing is None:
                message = Message.objects.create(**fields)
            else:
                Message.objects.filter(pk=existing.pk, status=Status.SKIPPED).update(**fields)
                message = Message.objects.get(pk=existing.pk)
    except IntegrityError:
        # Another process recorded the same key between our read and write: same message.
        message = Message.objects.get(organisation=organisation, key=draft.key)
    return None if message.status == Status.SKIPPED else message


def _fields(organisation, channel, source, draft: Draft, reason: str) -> dict:
    address = address_of(draft.customer, channel)
    return {
        "organisation": organisation,
        "customer": draft.customer,
        "channel": channel,
        "key": draft.key,
        "source": source,
        "to_address": "" if reason else address.replace("\n", ", ")[:254],
        "address_block": address if channel == Channel.LETTER and not reason else "",
        "subject": draft.subject,
        "body_html": draft.body_html or "",
        "body_text": draft.body_text,
        "status": Status.SKIPPED if reason else Status.QUEUED,
        "skip_reason": reason,
        "next_attempt_at": timezone.now(),
    }


def queue_messages(
    *,
    organisation: Organisation,
    channel: str,
    source: str,
    requires_consent: bool,
    drafts: Iterable[Draft],
    chunk_size: int = 2000,
) -> dict[str, Message]:
    """Record many messages at once (campaigns): the same contract as `queue_message`.

    Returns the ledger rows by key, skipped ones included (their status says so). Keys
    already in the ledger are kept as they are, so running this twice queues nothing twice.
    """
    channel = Channel(channel)
    result: dict[str, Message] = {}
    chunk: list[Draft] = []
    for draft in drafts:
        chunk.append(draft)
        if len(chunk) >= chunk_size:
            result.update(_queue_chunk(organisation, channel, source, requires_consent, chunk))
            chunk = []
    if chunk:
        result.update(_queue_chunk(organisation, channel, source, requires_consent, chunk))
    return result


def count_queued_messages(
    *,
    organisation: Organisation,
    channel: str,
    source: str,
    requires_consent: bool,
    drafts: list[Draft],
) -> int:
    """`queue_messages` for one chunk, returning only how many of its keys are in the ledger
    and not skipped (a campaign's count), without loading the rows."""
    if not drafts:
        return 0
    return _queue_chunk(
        organisation, Channel(channel), source, requires_consent, drafts, count_only=True
    )


@transaction.atomic
def _queue_chunk(
    organisation, channel, source, requires_consent, drafts: list[Draft], count_only=False
):
    suppressed = suppressed_addresses(
        organisation.pk, (address_of(d.customer, channel) for d in drafts)
    )
    now = timezone.now()
    rows = []
    for draft in drafts:
        reason = skip_reason(draft.customer, channel, requires_consent, suppressed)
        fields = _fields(organisation, channel, source, draft, reason)
        rows.append(
            {
                **fields,
                "next_attempt_at": now,
                "organisation_id": organisation.pk,
                "customer_id": draft.customer.pk,
                "attempts": 0,
                "created_at": now,
                "claimed_by": "",
                "last_error": "",
                "provider_id": "",
            }
        )
    sql.insert_messages(rows)
    keys = [d.key for d in drafts]
    stored = Message.objects.filter(organisation=organisation, key__in=keys)
    if count_only:
        return stored.exclude(status=Status.SKIPPED).count()
    return {m.key: m for m in stored.only("id", "key", "status", "skip_reason")}


@transaction.atomic
def suppress_address(*, organisation: Organisation, address: str, reason: str) -> None:
    """Stop every future message to this address; queued ones are skipped now."""
    address = address.strip().lower()
    Suppression.objects.get_or_create(
        organisation=organisation, address=address, defaults={"reason": reason}
    )
    Message.objects.filter(
        organisation=organisation, to_address__iexact=address, status=Status.QUEUED
    ).update(status=Status.SKIPPED, skip_reason=SUPPRESSED)


# Provider events move a message forward; an earlier event never overwrites a later one.
_EVENT_RANK = {
    Status.SENT: 0,
    Status.DELIVERED: 1,
    Status.OPENED: 2,
    Status.CLICKED: 3,
    Status.BOUNCED: 4,
    Status.COMPLAINED: 5,
}
_EVENT_TIME_FIELD = {
    Status.DELIVERED: "delivered_at",
    Status.OPENED: "opened_at",
    Status.CLICKED: "clicked_at",
    Status.BOUNCED: "bounced_at",
    Status.COMPLAINED: "bounced_at",
}


@transaction.atomic
def record_message_event(*, message: Message, event: str, at=None) -> Message:
    """Record delivered/opened/clicked/bounced/complained; bounces and complaints suppress."""
    event = Status(event)
    at = at or timezone.now()
    message = Message.objects.select_for_update().get(pk=message.pk)
    time_field = _EVENT_TIME_FIELD[event]
    if getattr(message, time_field) is None:
        setattr(message, time_field, at)
    if _EVENT_RANK.get(Status(message.status), -1) < _EVENT_RANK[event]:
        message.status = event
    message.save(update_fields=["status", time_field])
    if event in (Status.BOUNCED, Status.COMPLAINED) and message.to_address:
        suppress_address(
            organisation=message.organisation, address=message.to_address, reason=event
        )
    return message


def queue_staff_email(
    *, organisation: Organisation, to_address: str, key: str, subject: str, body_text: str
) -> Message:
    """A message to a staff member (e.g. a campaign report): the ledger, without a customer."""
    message, _created = Message.objects.get_or_create(
        organisation=organisation,
        key=key,
        defaults={
            "channel": Channel.EMAIL,
            "source": "staff",
            "to_address": to_address,
            "subject": subject,
            "body_text": body_text,
            "next_attempt_at": timezone.now(),
        },
    )
    return message


@transaction.atomic
def forget_customer(*, customer: Customer) -> int:
    """Erasure (DATA-7): blank the address and content of the customer's messages, keeping
    the rows (keys, statuses, times) so statistics and idempotency stay intact. Messages
    still queued are skipped: nothing more goes to an erased customer."""
    messages = Message.objects.filter(customer=customer)
    messages.filter(status=Status.QUEUED).update(status=Status.SKIPPED, skip_reason=ERASED)
    return messages.update(
        to_address="", subject="", body_html="", body_text="", address_block="", last_error=""
    )
