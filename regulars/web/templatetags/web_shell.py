"""The back-office frame: navigation filtered by role, organisations, languages."""

from dataclasses import dataclass

import phonenumbers
from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format

from regulars.commerce.models import cents_to_decimal
from regulars.orgs.models import Membership
from regulars.web.access import current_membership, has_permission
from regulars.web.shell.nav import NAV_ITEMS

register = template.Library()


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    active: bool


def safe_reverse(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def request_membership(request) -> Membership | None:
    membership = getattr(request, "membership", None)
    if membership is None and hasattr(request, "user"):
        membership = current_membership(request.user)
    return membership


@register.simple_tag(takes_context=True)
def staff_nav(context) -> list[NavItem]:
    request = context["request"]
    membership = request_membership(request)
    if membership is None:
        return []
    items = []
    for name, label, permission in NAV_ITEMS:
        url = safe_reverse(name)
        if url is None or not has_permission(membership, permission):
            continue
        items.append(NavItem(url=url, label=str(label), active=request.path.startswith(url)))
    return items


@register.simple_tag(takes_context=True)
def staff_membership(context) -> Membership | None:
    return request_membership(context["request"])


@register.simple_tag(takes_context=True)
def staff_memberships(context) -> list[Membership]:
    user = context["request"].user
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name")
    )


@register.simple_tag
def language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


@register.filter
def money(cents: int | None, currency: str = "") -> str:
    """Integer minor units as a localized amount: 1234567 → "12,345.67" or "12.345,67"."""
    if cents is None:
        return ""
    amount = number_format(cents_to_decimal(cents), decimal_pos=2, force_grouping=True)
    return f"{amount} {currency}".strip()


@register.filter
def phone(number: str) -> str:
    """An E.164 number as people write it: +4520304050 → +45 20 30 40 50."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
