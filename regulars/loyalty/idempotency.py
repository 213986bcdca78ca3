"""Idempotency keys for till writes (LOY-8): a retried request never earns or spends twice.

The key, the work and the stored response share one transaction, so a key is either
unknown or holds its first response; a request that fails unexpectedly leaves no key
behind and may simply be retried. While the first request runs, PostgreSQL refuses a
second one with the key (409) by a transaction-scoped advisory lock on the key; SQLite
runs one writer at a time, so there the second request waits and then gets the replay.
"""

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.orgs.models import Organisation

from . import sql
from .errors import LoyaltyError
from .models import IdempotencyKey

KEEP_FOR = datetime.timedelta(hours=24)


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
    unexpected failure rolls the key back with the work, so the client may retry.
    """
    if not key or len(key) > 200:
        raise LoyaltyError("bad_idempotency_key", _("Idempotency-Key must be 1–200 characters"))
    try:
        with transaction.atomic():
            first = _first_response(organisation, key, fingerprint)
            if first is not None:
                return first
            response = work()
            _remember(organisation, key, fingerprint, response)
            return response
    except KeyInUse:
        raise
    except LoyaltyError as refused:
        response = refusal(refused)
    # The refused work was rolled back; remember the refusal in a transaction of its own.
    with transaction.atomic():
        first = _first_response(organisation, key, fingerprint)
        if first is not None:
            return first
        _remember(organisation, key, fingerprint, response)
    return response


def _first_response(organisation: Organisation, key: str, fingerprint: str) -> Response | None:
    """The response stored under the key, None when the key is new; 409/422 as above."""
    # Lock, then read in a statement of its own. A statement sees what was committed when
    # it began: a read in the locking statement could miss the response of a first request
    # that committed and let go of the lock in between, and run the work a second time.
    _lock_key(organisation, key)
    found = sql.stored_response(organisation.pk, key)
    if found is None:
        return None
    if found.request_hash != fingerprint:
        raise KeyInUse(422, _("this Idempotency-Key was used for a different request"))
    return Response(found.response_status, found.response_body)


def _lock_key(organisation: Organisation, key: str) -> None:
    """PostgreSQL: hold the key's advisory lock until the transaction ends, or refuse."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"{organisation.pk}\0{key}".encode(), digest_size=8).digest()
    if not sql.try_key_lock(int.from_bytes(digest, "big", signed=True)):
        raise KeyInUse(409, _("a request with this Idempotency-Key is still running"))


def _remember(organisation: Organisation, key: str, fingerprint: str, response: Response) -> None:
    record = IdempotencyKey(
        organisation=organisation,
        key=key,
        request_hash=fingerprint,
        response_status=response.status,
        response_body=response.body,
        created_at=timezone.now(),
    )
    sql.insert([record])


def purge_idempotency_keys(now: datetime.datetime | None = None) -> int:
    """Forget keys older than 24 hours (periodic task)."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
