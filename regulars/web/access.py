"""Access checks for back-office views: who may see and change what, in which organisation.

Every staff view is wrapped in `@staff_view(permission=...)` and fetches rows by id with
`get_object_for_org`, so tenant and role checks are never repeated by hand.

Permissions and the roles that hold them:

- ``"view"``: read customer and till pages — every role.
- ``"edit"``: change customer data, work the loyalty till — owner, marketer, cashier.
- ``"market"``: segments, campaigns, triggers, statistics, imports, loyalty reports —
  owner and marketer; a viewer may read these pages (GET) but never change anything.
- ``"owner"``: organisation settings, staff and API tokens — owner only.

A viewer is refused every unsafe request (POST, PUT, PATCH, DELETE) whatever the
permission, so "a viewer cannot change anything" holds for every staff view.
"""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib.auth.views import redirect_to_login
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from regulars.orgs.models import Membership, Role

PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset({Role.OWNER, Role.MARKETER, Role.CASHIER, Role.VIEWER}),
    "edit": frozenset({Role.OWNER, Role.MARKETER, Role.CASHIER}),
    "market": frozenset({Role.OWNER, Role.MARKETER, Role.VIEWER}),
    "owner": frozenset({Role.OWNER}),
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
M = TypeVar("M", bound=Model)


def current_membership(user) -> Membership | None:
    """The user's membership in their chosen organisation, else in their first one."""
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    profile = getattr(user, "staff_profile", None)
    if profile is not None and profile.current_organisation_id:
        chosen = memberships.filter(organisation_id=profile.current_organisation_id).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("organisation__name", "id").first()


def has_permission(membership: Membership, permission: str, method: str = "GET") -> bool:
    if membership.role == Role.VIEWER and method not in SAFE_METHODS:
        return False
    return membership.role in PERMISSIONS[permission]


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", status=403)


def staff_view(permission: str = "view") -> Callable:
    """Require a logged-in member whose role holds `permission` in the current organisation.

    Sets `request.organisation` and `request.membership`; answers 403 (page in the user's
    language) when the role lacks the permission or the user belongs to no organisation.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = current_membership(request.user)
            if membership is None or not has_permission(membership, permission, request.method):
                return forbidden(request)
            request.membership = membership  # type: ignore[attr-defined]
            request.organisation = membership.organisation  # type: ignore[attr-defined]
            # Times on the page are the organisation's local times.
            with timezone.override(membership.organisation.tz):
                return view(request, *args, **kwargs)

        return wrapper

    return decorator


def get_object_for_org(request: HttpRequest, model: type[M], **lookup) -> M:
    """The row of `model` matching `lookup` in the request's organisation, else 404."""
    try:
        return model._default_manager.get(organisation=request.organisation, **lookup)  # type: ignore[attr-defined]
    except (model.DoesNotExist, ValueError) as error:
        raise Http404 from error


def return_url(request: HttpRequest, field: str, fallback: str) -> str:
    """The page a form posted in `field` asks to return to, if it is on this site; else
    `fallback` (never another site, never a view name to look up)."""
    candidate = request.POST.get(field, "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


# The largest key a primary-key column holds (64 bits).
MAX_ID = 2**63 - 1


def row_id(value: str | None) -> int | None:
    """A row id from a form or query string; None when it cannot be one (not a whole
    number from 1 to MAX_ID), so that it finds nothing instead of failing in the
    database."""
    try:
        number = int(value) if value else 0
    except ValueError:
        return None
    return number if 0 < number <= MAX_ID else None
