"""Signed tracking URLs: open pixel, click redirect, unsubscribe (MSG-7, DATA-6).

Every token is an HMAC of (message id, purpose or target URL) under the site's secret, so
a link cannot be pointed anywhere else, and an unknown or tampered token is a 404.
"""

import functools
import hashlib
import hmac
from urllib.parse import quote

from django.conf import settings

SALT = "regulars.tracking"


def token(message_id: int, value: str) -> str:
    """Django's salted_hmac(SALT, "<id>|<value>", sha256), truncated to 32 hex digits."""
    signer = _signer(settings.SECRET_KEY).copy()
    signer.update(f"{message_id}|{value}".encode())
    return signer.hexdigest()[:32]


@functools.lru_cache(maxsize=4)
def _signer(secret: str) -> "hmac.HMAC":
    # The key derivation salted_hmac repeats on every call, done once per secret: every
    # message signs four URLs at send time.
    key = hashlib.sha256((SALT + secret).encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def token_is_valid(message_id: int, value: str, given: str) -> bool:
    return hmac.compare_digest(token(message_id, value), given)


def open_pixel_url(message_id: int) -> str:
    return f"{settings.SITE_URL}/t/o/{message_id}/{token(message_id, 'open')}.gif"


def click_url(message_id: int, target: str) -> str:
    signed = token(message_id, target)
    return f"{settings.SITE_URL}/t/c/{message_id}/{signed}/?u={_quoted(target)}"


@functools.lru_cache(maxsize=1024)
def _quoted(target: str) -> str:
    # A campaign's few link targets recur in every message; quote() is slow.
    return quote(target, safe="")


def unsubscribe_url(message_id: int) -> str:
    return f"{settings.SITE_URL}/t/u/{message_id}/{token(message_id, 'unsubscribe')}/"
