"""Deliver queued ledger rows: claim under row locks, send, record the outcome (MSG-8).

Exactly-once contract: a row is claimed (`sending`) before the provider call and marked
`sent` right after it. If the process dies between the provider accepting a message and
the `sent` update, that one in-flight message is sent again once its claim goes stale
(`MESSAGING_LEASE_SECONDS`); no other message is repeated and none is lost.
"""

import logging
import threading
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from regulars.orgs.models import Organisation

from . import sql
from .models import Message, Status
from .transports import (
    EmailTransport,
    PermanentError,
    TransientError,
    Transport,
    transport_for,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SENDING_FIELDS = (
    "id",
    "organisation_id",
    "customer_id",
    "channel",
    "key",
    "to_address",
    "subject",
    "body_html",
    "body_text",
    "address_block",
    "status",
    "attempts",
    "claimed_by",
)
MAX_BACKOFF_SECONDS = 6 * 3600


def claim_batch(*, limit: int = 50) -> tuple[str, list[Message]]:
    """Mark up to `limit` due rows `sending` for this caller; no other caller gets them."""
    claim = uuid.uuid4().hex
    now = timezone.now()
    due = Message.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now).order_by("id")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
        else:
            # SQLite: BEGIN IMMEDIATE holds the one write lock, so select + conditional
            # UPDATE below cannot interleave with another claimer.
            ids = list(due.values_list("id", flat=True)[:limit])
        Message.objects.filter(id__in=ids, status=Status.QUEUED).update(
            status=Status.SENDING, claimed_at=now, claimed_by=claim, attempts=F("attempts") + 1
        )
    claimed = Message.objects.filter(claimed_by=claim, status=Status.SENDING).order_by("id")
    # What sending reads; the eight timestamps and the outcome columns are not fetched.
    batch = list(claimed.only(*SENDING_FIELDS))
    # A batch is nearly always one organisation: fetched once, not joined into every row.
    organisations = Organisation.objects.in_bulk({message.organisation_id for message in batch})
    for message in batch:
        message.organisation = organisations[message.organisation_id]
    return claim, batch


def release_stale_claims(*, lease_seconds: float | None = None) -> int:
    """Put rows whose sender died back in the queue (the one in-flight may repeat)."""
    lease = settings.MESSAGING_LEASE_SECONDS if lease_seconds is None else lease_seconds
    cutoff = timezone.now() - timedelta(seconds=lease)
    released = Message.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff).update(
        status=Status.QUEUED, claimed_by="", next_attempt_at=timezone.now()
    )
    if released:
        log.warning("released %d stale claims", released)
    return released


def deliver_one(
    message: Message, claim: str, transport: Transport, following: Message | None = None
) -> str:
    """Send one claimed row and record the outcome; returns the new status.

    `following`, the row the caller sends next on the same transport, lets an SMTP
    session announce it in the same round trip (see EmailTransport).
    """
    try:
        if following is not None and isinstance(transport, EmailTransport):
            provider_id = transport.send(message, following)
        else:
            provider_id = transport.send(message)
    except TransientError as error:
        return _retry_later(message, claim, str(error))
    except PermanentError as error:
        return _finish(message, claim, Status.FAILED, last_error=str(error))
    except Exception as error:  # noqa: BLE001 — one bad row must not stop the worker
        log.exception("message %s could not be built or sent", message.key)
        return _finish(message, claim, Status.FAILED, last_error=f"{type(error).__name__}: {error}")
    sql.mark_sent(message.pk, claim, provider_id[:200], timezone.now())
    return Status.SENT


def _retry_later(message: Message, claim: str, reason: str) -> str:
    if message.attempts >= MAX_ATTEMPTS:
        return _finish(message, claim, Status.FAILED, last_error=f"gave up: {reason}")
    delay = min(
        settings.MESSAGING_RETRY_BASE_SECONDS * 2 ** (message.attempts - 1), MAX_BACKOFF_SECONDS
    )
    return _finish(
        message,
        claim,
        Status.QUEUED,
        last_error=reason,
        claimed_by="",
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )


def _finish(message: Message, claim: str, status: str, **fields) -> str:
    # Conditional on our claim: a row released and re-claimed elsewhere is not ours to mark.
    Message.objects.filter(pk=message.pk, claimed_by=claim, status=Status.SENDING).update(
        status=status, **fields
    )
    if status == Status.FAILED:
        log.warning("message %s failed: %s", message.key, fields.get("last_error"))
    return status


def deliver_due(*, limit: int = 50, transports: dict[str, Transport] | None = None) -> int:
    """Claim one batch and deliver it; returns how many rows were handled (0 = nothing due).

    Pass `transports` to keep provider connections open across batches; the caller closes them.
    """
    claim, batch = claim_batch(limit=limit)
    own = transports is None
    transports = {} if transports is None else transports
    try:
        for n, message in enumerate(batch):
            if message.channel not in transports:
                transports[message.channel] = transport_for(message.channel)
            following = batch[n + 1] if n + 1 < len(batch) else None
            if following is not None and following.channel != message.channel:
                following = None
            deliver_one(message, claim, transports[message.channel], following)
    finally:
        if own:
            for transport in transports.values():
                transport.close()
    return len(batch)


def deliver_all(*, limit: int = 50, threads: int = 1) -> int:
    """Deliver until nothing is due (tests, `regulars worker --once`, the benchmark).

    Each thread claims its own batches and keeps its own provider connection.
    """
    if threads <= 1:
        return _deliver_until_empty(limit)
    totals: list[int] = []
    workers = [
        threading.Thread(target=lambda: totals.append(_deliver_until_empty(limit, close_db=True)))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(totals)


def _deliver_until_empty(limit: int, close_db: bool = False) -> int:
    transports: dict[str, Transport] = {}
    total = 0
    try:
        while handled := deliver_due(limit=limit, transports=transports):
            total += handled
    finally:
        for transport in transports.values():
            transport.close()
        if close_db:
            connection.close()
    return total
