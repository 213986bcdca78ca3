"""Idempotency keys for till writes (LOY-8): a retried request never earns or spends twice.

The key is claimed in its own committed transaction before the work starts; the work and
the stored response commit together, so a replay sees either nothing done (409 while it
runs) or exactly the first response.
"""

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from regulars.orgs.models import Organisation

from .errors import LoyaltyError
from .models import IdempotencyKey

KEEP_FOR = datetime.timedelta(hours=24)
# A claim still running after this long belongs to a process that died; it may be retried.
ABANDONED_AFTER = datetime.timedelta(minutes=5)


class KeyInUse(LoyaltyError):
    """The same key with another request (422) or while the first still runs (409)."""

    def __init__(self, status: int, message: str):
        super().__init__("idempotency_key_in_use", message)
        self.status = status


@dataclass
class Response:
    status: int
    body: dict


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


def run_once(
    *,
    organisation: Organisation,
    key: str,
    fingerprint: str,
    work: Callable[[], Response],
    refusal: Callable[[LoyaltyError], Response],
) -> Response:
    """Run `work` once per key; later calls with the key get the first response back.

    A refused request (LoyaltyError, nothing written) is remembered like a success; an
    unexpected failure forgets the key so that the client may retry.
    """
    if not key or len(key) > 200:
        raise LoyaltyError("bad_idempotency_key", "Idempotency-Key must be 1–200 characters")
    record = _claim(organisation, key, fingerprint)
    if record.done:
        return Response(record.response_status or 200, record.response_body or {})
    try:
        with transaction.atomic():
            response = work()
            _finish(record, response)
    except LoyaltyError as refused:
        response = refusal(refused)
        _finish(record, response)
    except BaseException:
        IdempotencyKey.objects.filter(pk=record.pk, done=False).delete()
        raise
    return response


def _claim(organisation: Organisation, key: str, fingerprint: str) -> IdempotencyKey:
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                organisation=organisation,
                key=key,
                request_hash=fingerprint,
                created_at=timezone.now(),
            )
    except IntegrityError:
        pass
    record = IdempotencyKey.objects.get(organisation=organisation, key=key)
    if record.request_hash != fingerprint:
        raise KeyInUse(422, "this Idempotency-Key was used for a different request")
    if not record.done:
        if record.created_at < timezone.now() - ABANDONED_AFTER and _take_over(record):
            return record
        raise KeyInUse(409, "a request with this Idempotency-Key is still running")
    return record


def _take_over(record: IdempotencyKey) -> bool:
    """Claim an abandoned key; only one of several retrying requests wins."""
    now = timezone.now()
    taken = IdempotencyKey.objects.filter(
        pk=record.pk, done=False, created_at=record.created_at
    ).update(created_at=now)
    record.created_at = now
    return taken == 1


def _finish(record: IdempotencyKey, response: Response) -> None:
    IdempotencyKey.objects.filter(pk=record.pk).update(
        done=True, response_status=response.status, response_body=response.body
    )


def purge_idempotency_keys(now: datetime.datetime | None = None) -> int:
    """Forget keys older than 24 hours (periodic task)."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
