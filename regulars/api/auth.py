"""Token authentication: every API request acts for exactly one organisation."""

import copy
import threading
import time

from django.http import HttpRequest
from ninja.security import HttpBearer

from regulars.orgs.actions import organisation_for_token
from regulars.orgs.models import Organisation, hash_token

# A process remembers a token it has found for this long: a till sends many requests a
# second, and looking the token up took a query and about a sixth of a sale's CPU. The
# price: a revoked token (or a changed organisation) takes effect within these seconds.
TOKEN_SECONDS = 5.0
TOKENS_KEPT = 1000


class OrganisationToken(HttpBearer):
    """`Authorization: Bearer rg_…`; sets `request.organisation` (401 when unknown)."""

    openapi_description = "An API token of one organisation (Settings → API tokens)."

    def authenticate(self, request: HttpRequest, token: str):
        organisation = found_tokens.organisation(token)
        if organisation is not None:
            request.organisation = organisation  # type: ignore[attr-defined]
        return organisation


class FoundTokens:
    """Tokens found in the database, by hash, each kept for `TOKEN_SECONDS`.

    Unknown and revoked tokens are not kept: they are looked up every time, so a new
    token works at once. Every request gets its own copy of the organisation.
    """

    def __init__(self, seconds: float = TOKEN_SECONDS, clock=time.monotonic):
        self.seconds, self.clock = seconds, clock
        self._found: dict[str, tuple[float, Organisation]] = {}
        self._lock = threading.Lock()

    def organisation(self, token: str) -> Organisation | None:
        key = hash_token(token)
        now = self.clock()
        kept = self._found.get(key)
        if kept is not None and now < kept[0]:
            return copy.copy(kept[1])
        organisation = organisation_for_token(token)
        with self._lock:
            if organisation is None:
                self._found.pop(key, None)
                return None
            if len(self._found) >= TOKENS_KEPT:
                self._found.clear()
            self._found[key] = (now + self.seconds, organisation)
        return copy.copy(organisation)

    def forget(self) -> None:
        with self._lock:
            self._found.clear()


found_tokens = FoundTokens()
