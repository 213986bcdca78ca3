"""Writes on sales, bookings, tickets and individuals, in bulk (imports and the API).

Sale lines and tickets carry copies of their receipt's / order's facts and of their
item's group / event's start; these actions are the only writers and keep them equal,
and they refresh the purchase totals of every customer whose rows they changed.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max

from regulars.customers.actions import UpsertCounts, get_or_create_named
from regulars.customers.sql import insert_objects, insert_rows
from regulars.orgs.models import Organisation

from .models import (
    Booking,
    Event,
    Item,
    ItemGroup,
    Production,
    Sale,
    SaleLine,
    Service,
    Ticket,
    TicketOrder,
    Venue,
)
from .totals import refresh_purchase_totals

# --- sales -------------------------------------------------------------------------------


@dataclass
class SaleLineData:
    item_number: str
    item_name: str
    item_group: str
    quantity: int
    unit_price_cents: int
    discount_cents: int
    amount_cents: int


@dataclass
class SaleData:
    """A receipt. `replace` drops the lines stored before; False appends (the rest of a
    receipt whose first lines were written earlier in the same import)."""

    receipt_id: str
    customer_id: int | None
    sold_at: datetime.datetime
    channel: str
    lines: list[SaleLineData] = field(default_factory=list)
    replace: bool = True


@transaction.atomic
def save_sales(*, organisation: Organisation, sales: list[SaleData]) -> UpsertCounts:
    """Create or replace receipts with their lines; items and item groups are created on
    the fly by number and name. Counts receipts."""
    items = _items_for(organisation, [line for sale in sales for line in sale.lines])
    stored = {
        sale.receipt_id: sale
        for sale in Sale.objects.filter(
            organisation=organisation, receipt_id__in=[s.receipt_id for s in sales]
        )
    }
    touched = {sale.customer_id for sale in stored.values()} | {s.customer_id for s in sales}
    new = [
        Sale(
            organisation=organisation,
            receipt_id=data.receipt_id,
            customer_id=data.customer_id,
            sold_at=data.sold_at,
            channel=data.channel,
        )
        for data in sales
        if data.receipt_id not in stored
    ]
    insert_objects(new)
    replaced = [
        stored[data.receipt_id] for data in sales if data.replace and data.receipt_id in stored
    ]
    for data in sales:
        if data.replace and data.receipt_id in stored:
            sale = stored[data.receipt_id]
            sale.customer_id, sale.sold_at, sale.channel = (
                data.customer_id,
                data.sold_at,
                data.channel,
            )
    Sale.objects.bulk_update(replaced, ["customer_id", "sold_at", "channel"], batch_size=500)
    SaleLine.objects.filter(sale__in=replaced).delete()
    stored.update((sale.receipt_id, sale) for sale in new)
    insert_rows(SaleLine, SALE_LINE_COLUMNS, _sale_line_rows(organisation, sales, stored, items))
    refresh_purchase_totals(organisation=organisation, customer_ids=touched)
    return UpsertCounts(created=len(new), updated=len(replaced))


SALE_LINE_COLUMNS = (
    "organisation_id",
    "sale_id",
    "line_number",
    "customer_id",
    "sold_at",
    "channel",
    "item_id",
    "item_group_id",
    "quantity",
    "unit_price_cents",
    "discount_cents",
    "amount_cents",
)


def _sale_line_rows(
    organisation: Organisation,
    sales: list[SaleData],
    stored: dict[str, Sale],
    items: dict[str, Item],
) -> Iterator[tuple[Any, ...]]:
    """Rows of SALE_LINE_COLUMNS: the lines with their receipt's and item's facts."""
    next_number = _next_line_numbers([stored[d.receipt_id] for d in sales if not d.replace])
    for data in sales:
        sale = stored[data.receipt_id]
        number = next_number.get(sale.pk, 1)
        for offset, line in enumerate(data.lines):
            item = items[line.item_number]
            yield (
                organisation.pk,
                sale.pk,
                number + offset,
                sale.customer_id,
                sale.sold_at,
                sale.channel,
                item.pk,
                item.group_id,
                line.quantity,
                line.unit_price_cents,
                line.discount_cents,
                line.amount_cents,
            )


def _next_line_numbers(sales: list[Sale]) -> dict[int, int]:
    if not sales:
        return {}
    rows = (
        SaleLine.objects.filter(sale__in=sales)
        .values("sale_id")
        .annotate(last=Max("line_number"))
        .values_list("sale_id", "last")
    )
    return {sale_id: last + 1 for sale_id, last in rows}


def _items_for(organisation: Organisation, lines: list[SaleLineData]) -> dict[str, Item]:
    """number → item, creating new items and renaming / regrouping known ones (their
    stored sale lines follow the new group)."""
    latest: dict[str, SaleLineData] = {}
    for line in lines:  # the last name and group given for a number win
        known = latest.get(line.item_number)
        if known is not None:
            line.item_name = line.item_name or known.item_name
            line.item_group = line.item_group or known.item_group
        latest[line.item_number] = line
    groups = get_or_create_named(
        organisation, ItemGroup, {line.item_group for line in latest.values() if line.item_group}
    )
    items = {
        item.number: item
        for item in Item.objects.filter(organisation=organisation, number__in=latest).order_by()
    }
    new, edited = [], []
    for number, line in latest.items():
        item = items.get(number)
        group_id = groups[line.item_group].pk if line.item_group else None
        if item is None:
            item = Item(organisation=organisation, number=number, name=line.item_name)
            item.group_id = group_id
            item.price_cents = line.unit_price_cents
            items[number] = item
            new.append(item)
            continue
        wanted_name = line.item_name or item.name
        wanted_group = group_id if line.item_group else item.group_id
        if (wanted_name, wanted_group) != (item.name, item.group_id):
            item.name, item.group_id = wanted_name, wanted_group
            edited.append(item)
    Item.objects.bulk_create(new, batch_size=1000)
    Item.objects.bulk_update(edited, ["name", "group_id"], batch_size=500)
    regrouped: dict[int | None, list[int]] = defaultdict(list)
    for item in edited:
        regrouped[item.group_id].append(item.pk)
    for group_id, item_ids in regrouped.items():
        SaleLine.objects.filter(item_id__in=item_ids).exclude(item_group_id=group_id).update(
            item_group_id=group_id
        )
    return items


# --- bookings ----------------------------------------------------------------------------


@dataclass
class BookingData:
    booking_id: str
    customer_id: int
    service: str
    start: datetime.datetime
    end: datetime.datetime
    status: str


@transaction.atomic
def save_bookings(*, organisation: Organisation, bookings: list[BookingData]) -> UpsertCounts:
    """Create or update bookings by booking id; services are created on the fly."""
    services = get_or_create_named(organisation, Service, {b.service for b in bookings})
    stored = {
        booking.external_id: booking
        for booking in Booking.objects.filter(
            organisation=organisation, external_id__in=[b.booking_id for b in bookings]
        ).order_by()
    }
    new, edited = [], []
    for data in bookings:
        values = {
            "customer_id": data.customer_id,
            "service_id": services[data.service].pk,
            "start": data.start,
            "end": data.end,
            "status": data.status,
        }
        booking = stored.get(data.booking_id)
        if booking is None:
            new.append(Booking(organisation=organisation, external_id=data.booking_id, **values))
        elif _assign(booking, values):
            edited.append(booking)
    Booking.objects.bulk_create(new, batch_size=1000)
    Booking.objects.bulk_update(
        edited, ["customer_id", "service_id", "start", "end", "status"], batch_size=500
    )
    return UpsertCounts(
        created=len(new), updated=len(edited), unchanged=len(bookings) - len(new) - len(edited)
    )


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set the values on a stored row; True when anything changed."""
    changed = any(getattr(row, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(row, name, value)
    return changed


# --- tickets -----------------------------------------------------------------------------


@dataclass
class EventData:
    event_id: str
    production: str
    start: datetime.datetime
    venue: str
    venue_latitude: float | None
    venue_longitude: float | None


@dataclass
class TicketData:
    event: EventData
    quantity: int
    amount_cents: int


@dataclass
class TicketOrderData:
    """An order; like a receipt, `replace` False appends to tickets written earlier in the
    same import."""

    order_id: str
    customer_id: int | None
    ordered_at: datetime.datetime
    channel: str
    tickets: list[TicketData] = field(default_factory=list)
    replace: bool = True


@transaction.atomic
def save_ticket_orders(
    *, organisation: Organisation, orders: list[TicketOrderData]
) -> UpsertCounts:
    """Create or replace ticket orders with their tickets; events, productions and venues
    are created or updated on the fly. Counts orders."""
    events = _events_for(organisation, [t.event for order in orders for t in order.tickets])
    stored = {
        order.order_id: order
        for order in TicketOrder.objects.filter(
            organisation=organisation, order_id__in=[o.order_id for o in orders]
        )
    }
    touched = {order.customer_id for order in stored.values()} | {o.customer_id for o in orders}
    new = [
        TicketOrder(
            organisation=organisation,
            order_id=data.order_id,
            customer_id=data.customer_id,
            ordered_at=data.ordered_at,
            channel=data.channel,
        )
        for data in orders
        if data.order_id not in stored
    ]
    TicketOrder.objects.bulk_create(new, batch_size=1000)
    replaced = []
    for data in orders:
        if data.replace and data.order_id in stored:
            order = stored[data.order_id]
            order.customer_id, order.ordered_at, order.channel = (
                data.customer_id,
                data.ordered_at,
                data.channel,
            )
            replaced.append(order)
    TicketOrder.objects.bulk_update(replaced, ["customer_id", "ordered_at", "channel"])
    Ticket.objects.filter(order__in=replaced).delete()
    stored.update((order.order_id, order) for order in new)
    Ticket.objects.bulk_create(
        [
            Ticket(
                organisation=organisation,
                order=(order := stored[data.order_id]),
                customer_id=order.customer_id,
                ordered_at=order.ordered_at,
                channel=order.channel,
                event=(event := events[ticket.event.event_id]),
                event_start=event.start,
                production_id=event.production_id,
                quantity=ticket.quantity,
                amount_cents=ticket.amount_cents,
            )
            for data in orders
            for ticket in data.tickets
        ],
        batch_size=2000,
    )
    refresh_purchase_totals(organisation=organisation, customer_ids=touched)
    return UpsertCounts(created=len(new), updated=len(replaced))


def _events_for(organisation: Organisation, events: list[EventData]) -> dict[str, Event]:
    """event id → event, created or updated; stored tickets follow a moved event."""
    latest = {event.event_id: event for event in events}  # the last row of an event wins
    productions = get_or_create_named(
        organisation, Production, {e.production for e in latest.values()}
    )
    venues = _venues_for(organisation, events)
    stored = {
        event.external_id: event
        for event in Event.objects.filter(
            organisation=organisation, external_id__in=latest
        ).order_by()
    }
    new, edited = [], []
    for event_id, data in latest.items():
        values: dict[str, Any] = {
            "production_id": productions[data.production].pk,
            "start": data.start,
        }
        if data.venue:  # no venue given: the event stays where it was
            values["venue_id"] = venues[data.venue].pk
        event = stored.get(event_id)
        if event is None:
            event = Event(organisation=organisation, external_id=event_id, **values)
            stored[event_id] = event
            new.append(event)
        elif _assign(event, values):
            edited.append(event)
    Event.objects.bulk_create(new)
    Event.objects.bulk_update(edited, ["production_id", "venue_id", "start"])
    for event in edited:
        Ticket.objects.filter(event=event).update(
            event_start=event.start, production_id=event.production_id
        )
    return stored


def _venues_for(organisation: Organisation, events: list[EventData]) -> dict[str, Venue]:
    venues = get_or_create_named(organisation, Venue, {e.venue for e in events if e.venue})
    edited = {}
    for data in events:
        venue = venues.get(data.venue)
        if venue is None or data.venue_latitude is None or data.venue_longitude is None:
            continue
        position = {"latitude": data.venue_latitude, "longitude": data.venue_longitude}
        if _assign(venue, position):
            edited[venue.pk] = venue
    Venue.objects.bulk_update(list(edited.values()), ["latitude", "longitude"])
    return venues
