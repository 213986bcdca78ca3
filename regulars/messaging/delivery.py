"""Deliver queued ledger rows: claim under row locks, send, record the outcome (MSG-8).

Exactly-once contract: a row is claimed (`sending`) before the provider call and marked
`sent` right after it. If the process dies between the provider accepting a message and
the `sent` update, that one in-flight message (one per provider connection) is sent again
once its claim goes stale (`MESSAGING_LEASE_SECONDS`); no other message is repeated and
none is lost.
"""

import logging
import select
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from regulars.orgs.models import Organisation

from . import sql
from .models import Channel, Message, Status
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
    # What sending reads; the eight timestamps and the outcome columns are not fetched.
    rows = sql.claim_due(claim, timezone.now(), limit, SENDING_FIELDS)
    batch = sorted(
        (Message.from_db(connection.alias, SENDING_FIELDS, row) for row in rows),
        key=lambda message: message.pk,
    )
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
    if following is not None and isinstance(transport, EmailTransport):
        return _settle(message, claim, lambda: transport.send(message, following))
    return _settle(message, claim, lambda: transport.send(message))


def _settle(message: Message, claim: str, send: Callable[[], str]) -> str:
    """Run `send` (which returns the provider's id) and record the outcome on the row."""
    try:
        provider_id = send()
    except Exception as error:  # noqa: BLE001 — one bad row must not stop the worker
        return _failed(message, claim, error)
    sql.mark_sent([(message.pk, claim, provider_id[:200])], timezone.now())
    return Status.SENT


def _failed(message: Message, claim: str, error: Exception) -> str:
    if isinstance(error, TransientError):
        return _retry_later(message, claim, str(error))
    if isinstance(error, PermanentError):
        return _finish(message, claim, Status.FAILED, last_error=str(error))
    log.error("message %s could not be built or sent", message.key, exc_info=error)
    return _finish(message, claim, Status.FAILED, last_error=f"{type(error).__name__}: {error}")


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


def deliver_all(*, limit: int = 50, threads: int = 1, stop: threading.Event | None = None) -> int:
    """Deliver until nothing is due, or `stop` is set (then what is claimed is finished).

    `threads` connections at once. Over SMTP they are sessions driven by this one thread
    (`_deliver_interleaved`), which costs less CPU per message than threads taking turns
    on the interpreter lock; otherwise each thread claims its own batches and keeps its own
    provider connection.
    """
    stop = stop or threading.Event()
    if threads <= 1:
        return _deliver_until_empty(limit, stop)
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        return _deliver_interleaved(limit, threads, stop)
    totals: list[int] = []
    workers = [
        threading.Thread(
            target=lambda: totals.append(_deliver_until_empty(limit, stop, close_db=True))
        )
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(totals)


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
Claimed = tuple[str, Message]  # (claim, row)


def _deliver_interleaved(limit: int, sessions: int, stop: threading.Event) -> int:
    """One thread keeping `sessions` SMTP sessions busy: each gets a message, and whichever
    answers first is settled and given the next one (with the one after it announced, see
    EmailTransport). The next batch is claimed as soon as the previous one is handed out.
    As with threads, each session has at most one message in flight."""
    idle = [EmailTransport() for _ in range(sessions)]
    everything = list(idle)
    others: dict[str, Transport] = {}
    queue: deque[Claimed] = deque()
    busy: dict[socket.socket, tuple[EmailTransport, Claimed, Claimed | None]] = {}
    total = 0

    def start(transport: EmailTransport, current: Claimed) -> None:
        claim, message = current
        following = queue.popleft() if queue else None
        try:
            transport.begin(message, following[1] if following else None)
        except Exception as error:  # noqa: BLE001
            _failed(message, claim, error)
            if following is not None:
                queue.appendleft(following)
            idle.append(transport)
            return
        waiting_on = transport.awaiting()
        if waiting_on is None:  # nothing to wait for: settled at once
            _settle(message, claim, transport.finish)
            if following is not None:
                queue.appendleft(following)
            idle.append(transport)
            return
        busy[waiting_on] = (transport, current, following)

    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 60
    try:
        while True:
            if not queue:
                claim, batch = ("", []) if stop.is_set() else claim_batch(limit=limit)
                total += len(batch)
                for message in batch:
                    if message.channel == Channel.EMAIL:
                        queue.append((claim, message))
                    else:
                        if message.channel not in others:
                            others[message.channel] = transport_for(message.channel)
                        deliver_one(message, claim, others[message.channel])
                if not batch and not busy:
                    break
            while idle and queue:
                start(idle.pop(), queue.popleft())
            if not busy:
                continue
            ready = select.select(list(busy), [], [], timeout)[0] or list(busy)
            answered = [busy.pop(waiting_on) for waiting_on in ready]
            _settle_answers(answered)
            for transport, _current, following in answered:
                if following is not None:
                    start(transport, following)
                else:
                    idle.append(transport)
    finally:
        for each in [*everything, *others.values()]:
            each.close()
    return total


def _settle_answers(answered: list[tuple[EmailTransport, Claimed, Claimed | None]]) -> None:
    """Read the answer each session has for its message; the accepted ones are marked sent
    in one transaction before any of these sessions gets its next message, so, as one by
    one, at most one accepted message per session is not yet marked."""
    sent = []
    for transport, (claim, message), _following in answered:
        try:
            provider_id = transport.finish()
        except Exception as error:  # noqa: BLE001 — one bad row must not stop the worker
            _failed(message, claim, error)
        else:
            sent.append((message.pk, claim, provider_id[:200]))
    sql.mark_sent(sent, timezone.now())


def _deliver_until_empty(limit: int, stop: threading.Event, close_db: bool = False) -> int:
    transports: dict[str, Transport] = {}
    total = 0
    try:
        while not stop.is_set() and (handled := deliver_due(limit=limit, transports=transports)):
            total += handled
    finally:
        for transport in transports.values():
            transport.close()
        if close_db:
            connection.close()
    return total
