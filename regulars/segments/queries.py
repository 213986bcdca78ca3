"""Reads: saved segments and views of an organisation, and who is in them now."""

import datetime

from django.db.models import Q, QuerySet

from regulars.commerce.models import Ticket
from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from .engine import compile_condition, customers_of
from .models import SavedSegment, SavedView

FIRST_MEMBERS = 50


def segments_of(organisation: Organisation, removed: bool = False) -> QuerySet[SavedSegment]:
    """The organisation's segments: the live ones, or those removed (to restore)."""
    return SavedSegment.objects.filter(organisation=organisation, removed_at__isnull=not removed)


def views_of(organisation: Organisation, removed: bool = False) -> QuerySet[SavedView]:
    return SavedView.objects.filter(
        organisation=organisation, removed_at__isnull=not removed
    ).select_related("segment", "event", "production")


def segment_members(
    segment: SavedSegment, at: datetime.datetime | None = None
) -> QuerySet[Customer]:
    return customers_of(segment.organisation).filter(view_condition(segment, None, at))


def view_members(view: SavedView, at: datetime.datetime | None = None) -> QuerySet[Customer]:
    return customers_of(view.organisation).filter(view_condition(view.segment, view, at))


def view_condition(
    segment: SavedSegment, view: SavedView | None, at: datetime.datetime | None
) -> Q:
    """The segment's rules, the view's filters, minus ticket holders of its event."""
    organisation = segment.organisation
    condition = compile_condition(organisation, segment.rules, at)
    if view is None:
        return condition
    if view.filters:
        condition &= compile_condition(organisation, view.filters, at)
    holders = ticket_holders(organisation, view)
    if holders is not None:
        condition &= ~Q(pk__in=holders)
    return condition


def ticket_holders(organisation: Organisation, view: SavedView) -> QuerySet | None:
    """Customer ids holding tickets for the view's event or production (None if neither)."""
    if view.event_id is None and view.production_id is None:
        return None
    tickets = Ticket.objects.filter(organisation=organisation, customer__isnull=False)
    if view.event_id is not None:
        tickets = tickets.filter(event=view.event_id)
    else:
        tickets = tickets.filter(production=view.production_id)
    return tickets.order_by().values("customer_id")


def first_members(members: QuerySet[Customer], limit: int = FIRST_MEMBERS) -> list[Customer]:
    return list(members.order_by("last_name", "first_name", "pk")[:limit])
