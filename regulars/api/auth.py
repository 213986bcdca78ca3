"""Token authentication: every API request acts for exactly one organisation."""

from django.http import HttpRequest
from ninja.security import HttpBearer

from regulars.orgs.actions import organisation_for_token


class OrganisationToken(HttpBearer):
    """`Authorization: Bearer rg_…`; sets `request.organisation` (401 when unknown)."""

    openapi_description = "An API token of one organisation (Settings → API tokens)."

    def authenticate(self, request: HttpRequest, token: str):
        organisation = organisation_for_token(token)
        if organisation is not None:
            request.organisation = organisation  # type: ignore[attr-defined]
        return organisation
