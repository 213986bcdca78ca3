"""Signed links to a customer's own page (PORTAL-1), used by messages and direct links."""

from django.conf import settings
from django.core import signing

SALT = "regulars.customer-page"
MAX_AGE_DAYS = 365


def customer_page_token(customer_id: int) -> str:
    return signing.dumps(customer_id, salt=SALT, compress=True)


def customer_id_from_token(token: str) -> int | None:
    """The customer id a token was made for, or None when forged or expired."""
    try:
        return int(signing.loads(token, salt=SALT, max_age=MAX_AGE_DAYS * 86400))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def customer_page_url(customer_id: int) -> str:
    return f"{settings.SITE_URL}/me/{customer_page_token(customer_id)}/"
