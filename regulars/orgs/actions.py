"""Writes for organisations, memberships and API tokens."""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .models import ApiToken, Membership, Organisation, Role, hash_token

TOKEN_PREFIX = "rg_"
LAST_USED_PRECISION = timedelta(minutes=1)


@transaction.atomic
def create_organisation(
    *, slug: str, name: str, timezone_name: str = "Europe/Copenhagen", country: str = "DK"
) -> Organisation:
    return Organisation.objects.create(
        slug=slug, name=name, timezone=timezone_name, country=country.upper()
    )


@transaction.atomic
def add_staff_user(
    *,
    organisation: Organisation,
    username: str,
    role: str,
    password: str | None = None,
    email: str = "",
) -> Membership:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": Role(role)}
    )
    return membership


@transaction.atomic
def create_api_token(
    *, organisation: Organisation, name: str, created_by=None
) -> tuple[ApiToken, str]:
    """Return the token row and the raw key, which is never stored and shown only once."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organisation=organisation,
        name=name,
        prefix=raw[:10],
        key_hash=hash_token(raw),
        created_by=created_by,
    )
    return token, raw


def revoke_api_token(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def organisation_for_token(raw: str) -> Organisation | None:
    token = (
        ApiToken.objects.select_related("organisation")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # A write per request would serialise every request that shares a token; a minute's
    # precision is enough for "last used".
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.organisation


class StaffChangeRefused(ValueError):
    """A role change or removal that would lock the organisation out: `reason` is
    "yourself" (owners do not change or remove themselves) or "last_owner"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@transaction.atomic
def change_staff_role(*, membership: Membership, role: str, changed_by) -> Membership:
    """Give a staff member another role in the membership's organisation."""
    _refuse_lockout(membership, changed_by, keeps_owner=role == Role.OWNER)
    membership.role = Role(role)
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_staff_member(*, membership: Membership, removed_by) -> None:
    """Take a staff member out of the organisation (their login stays for others)."""
    _refuse_lockout(membership, removed_by, keeps_owner=False)
    membership.delete()


def _refuse_lockout(membership: Membership, actor, *, keeps_owner: bool) -> None:
    if membership.user_id == actor.pk:
        raise StaffChangeRefused("yourself")
    # Row locks on the owners: two owners demoting each other at once leave one.
    owners = Membership.objects.select_for_update().filter(
        organisation_id=membership.organisation_id, role=Role.OWNER
    )
    if membership.role == Role.OWNER and not keeps_owner and len(owners) == 1:
        raise StaffChangeRefused("last_owner")
