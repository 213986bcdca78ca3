"""Builders for segment tests: customers and what they bought, booked and attended.

Rows are written directly (tests only) so a test can place any fact at any moment; like
every writer of sale lines and tickets, they refresh the customer's purchase totals.
"""

import datetime
import itertools
from typing import Any

from regulars.commerce.models import (
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
from regulars.commerce.totals import refresh_purchase_totals
from regulars.customers.actions import sync_derived_fields
from regulars.customers.models import Customer, CustomerPermission, Individual
from regulars.orgs.models import Organisation

_serial = itertools.count(1)


def moment(organisation: Organisation, text: str) -> datetime.datetime:
    """A local wall-clock time in the organisation's zone ("2026-03-01 10:00")."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=organisation.tz)


def customer(organisation: Organisation, **fields: Any) -> Customer:
    fields.setdefault("created_at", moment(organisation, "2020-01-01 12:00"))
    fields.setdefault("external_id", f"C{next(_serial)}")
    if isinstance(fields.get("birth_date"), str):
        fields["birth_date"] = datetime.date.fromisoformat(fields["birth_date"])
    person = Customer(organisation=organisation, **fields)
    sync_derived_fields(person)
    person.save()
    return person


def item(organisation: Organisation, number: str, group: str | None = None) -> Item:
    item_group = (
        ItemGroup.objects.get_or_create(organisation=organisation, name=group)[0] if group else None
    )
    return Item.objects.get_or_create(
        organisation=organisation, number=number, defaults={"group": item_group}
    )[0]


def sale(
    person: Customer | None,
    when: datetime.datetime,
    lines: list[tuple[Item, int]],
    channel: str = "pos",
    organisation: Organisation | None = None,
) -> Sale:
    """A receipt with (item, amount in cents) lines."""
    organisation = organisation or person.organisation  # type: ignore[union-attr]
    receipt = Sale.objects.create(
        organisation=organisation,
        receipt_id=f"R{next(_serial)}",
        customer=person,
        sold_at=when,
        channel=channel,
    )
    for number, (product, cents) in enumerate(lines, start=1):
        SaleLine.objects.create(
            organisation=organisation,
            sale=receipt,
            line_number=number,
            customer=person,
            sold_at=when,
            channel=channel,
            item=product,
            item_group=product.group,
            quantity=1,
            unit_price_cents=cents,
            amount_cents=cents,
        )
    if person is not None:
        refresh_purchase_totals(organisation=organisation, customer_ids=[person.pk])
    return receipt


def booking(
    person: Customer, service: str, start: datetime.datetime, status: str = "booked"
) -> Booking:
    organisation = person.organisation
    treatment = Service.objects.get_or_create(organisation=organisation, name=service)[0]
    return Booking.objects.create(
        organisation=organisation,
        external_id=f"B{next(_serial)}",
        customer=person,
        service=treatment,
        start=start,
        end=start + datetime.timedelta(hours=1),
        status=status,
    )


def event(
    organisation: Organisation,
    production: str,
    start: datetime.datetime,
    venue: str | None = None,
    position: tuple[float, float] | None = None,
    external_id: str | None = None,
) -> Event:
    show = Production.objects.get_or_create(organisation=organisation, name=production)[0]
    place = None
    if venue:
        latitude, longitude = position or (None, None)
        place = Venue.objects.get_or_create(
            organisation=organisation,
            name=venue,
            defaults={"latitude": latitude, "longitude": longitude},
        )[0]
    return Event.objects.create(
        organisation=organisation,
        external_id=external_id or f"E{next(_serial)}",
        production=show,
        venue=place,
        start=start,
    )


def ticket_order(
    person: Customer,
    when: datetime.datetime,
    tickets: list[tuple[Event, int, int]],
    channel: str = "online",
) -> TicketOrder:
    """An order with (event, quantity, amount in cents) rows."""
    organisation = person.organisation
    order = TicketOrder.objects.create(
        organisation=organisation,
        order_id=f"O{next(_serial)}",
        customer=person,
        ordered_at=when,
        channel=channel,
    )
    for show, quantity, cents in tickets:
        Ticket.objects.create(
            organisation=organisation,
            order=order,
            customer=person,
            ordered_at=when,
            channel=channel,
            event=show,
            event_start=show.start,
            production=show.production,
            quantity=quantity,
            amount_cents=cents,
        )
    refresh_purchase_totals(organisation=organisation, customer_ids=[person.pk])
    return order


def grant(person: Customer, permission: Any, when: datetime.datetime) -> None:
    CustomerPermission.objects.create(customer=person, permission=permission, granted_at=when)


def individual(person: Customer, kind: str, attributes: dict[str, Any]) -> Individual:
    return Individual.objects.create(
        organisation=person.organisation,
        customer=person,
        external_id=f"I{next(_serial)}",
        kind=kind,
        attributes=attributes,
    )
