"""Bookings, tickets and individuals import (SPEC 9.2)."""

import datetime
import io
import zoneinfo

from django.utils import timezone

from regulars.commerce.models import Booking, Event, Ticket, TicketOrder, Venue
from regulars.customers.models import Customer, Individual
from regulars.imports.actions import import_file

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")


def _import(org, kind, text):
    return import_file(
        organisation=org, kind=kind, file=io.BytesIO(text.encode()), filename=f"{kind}.csv"
    )


def _customer(org, external_id):
    return Customer.objects.create(
        organisation=org, external_id=external_id, created_at=timezone.now()
    )


BOOKINGS = (
    "booking_id,customer_external_id,service,start,end,status\n"
    "B1,C1,Haircut,2026-04-01T09:00,2026-04-01T09:45,completed\n"
    "B2,C1,Colour,2026-04-08T09:00,,booked\n"
)


def test_bookings_are_created_then_updated_by_id(org, other_org):
    anna = _customer(org, "C1")
    _customer(other_org, "C1")
    report = _import(org, "bookings", BOOKINGS)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    b1 = Booking.objects.get(external_id="B1")
    assert (b1.customer, b1.service.name, b1.status) == (anna, "Haircut", "completed")
    assert b1.start == datetime.datetime(2026, 4, 1, 9, tzinfo=CPH)
    assert Booking.objects.get(external_id="B2").end == datetime.datetime(2026, 4, 8, 9, tzinfo=CPH)

    report = _import(org, "bookings", BOOKINGS.replace("booked", "no_show"))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Booking.objects.get(external_id="B2").status == "no_show"
    assert Booking.objects.count() == 2
    assert Booking.objects.filter(organisation=other_org).count() == 0


def test_bad_bookings_are_reported(org):
    _customer(org, "C1")
    report = _import(
        org,
        "bookings",
        "booking_id,customer_external_id,service,start,end,status\n"
        "B1,C1,Haircut,2026-04-01T09:00,2026-04-01T08:00,done\n"
        "B1,C2,Haircut,2026-04-01T09:00,,booked\n",
    )
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (2, "status", "'done' is not one of booked, completed, cancelled, no_show"),
        (2, "end", "ends before it starts"),
        (3, "booking_id", "the same booking_id as line 2"),
    ]
    assert Booking.objects.count() == 0


TICKETS = (
    "order_id,customer_external_id,ordered_at,channel,production,event_id,event_start,venue,"
    "venue_latitude,venue_longitude,tickets,amount\n"
    "O1,C1,2026-05-01T12:00,online,Hamlet,E1,2026-06-01T19:30,Store Scene,55.68,12.58,2,450.00\n"
    "O1,C1,2026-05-01T12:00,online,Hamlet,E2,2026-06-02T19:30,Store Scene,,,1,225\n"
    "O2,,2026-05-02T12:00,boxoffice,Hamlet,E1,2026-06-01T19:30,Store Scene,,,4,900\n"
)


def test_ticket_orders_with_events_productions_and_venues(org, other_org):
    anna = _customer(org, "C1")
    report = _import(org, "tickets", TICKETS)
    assert report.ok, report.errors
    assert (report.rows, report.created) == (3, 2)
    venue = Venue.objects.get(organisation=org)
    assert (venue.name, venue.latitude, venue.longitude) == ("Store Scene", 55.68, 12.58)
    o1 = TicketOrder.objects.get(order_id="O1")
    assert (o1.customer, o1.channel) == (anna, "online")
    tickets = sorted(
        Ticket.objects.values_list(
            "order__order_id", "event__external_id", "quantity", "amount_cents", "customer_id"
        )
    )
    assert tickets == [
        ("O1", "E1", 2, 45000, anna.pk),
        ("O1", "E2", 1, 22500, anna.pk),
        ("O2", "E1", 4, 90000, None),
    ]
    # Moving an event moves the denormalised start on every order's tickets.
    moved = TICKETS.replace("2026-06-01T19:30", "2026-06-01T20:00").splitlines()
    report = _import(org, "tickets", "\n".join([moved[0], moved[1]]) + "\n")
    assert (report.created, report.updated) == (0, 1)
    start = datetime.datetime(2026, 6, 1, 20, tzinfo=CPH)
    assert Event.objects.get(external_id="E1").start == start
    assert set(
        Ticket.objects.filter(event__external_id="E1").values_list("event_start", flat=True)
    ) == {start}
    # O1 now has only the one ticket row of the re-imported file.
    assert Ticket.objects.filter(order=o1).count() == 1
    assert TicketOrder.objects.filter(organisation=other_org).count() == 0


def test_bad_ticket_rows(org):
    report = _import(
        org,
        "tickets",
        TICKETS.replace("boxoffice", "phone").replace("55.68", "95"),
    )
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "venue_latitude"),
        (4, "channel"),
        (3, "customer_external_id"),
    ]
    assert Event.objects.count() == 0


def test_individuals_with_json_attributes(org, other_org):
    anna = _customer(org, "C1")
    text = (
        "individual_id,customer_external_id,kind,attributes\n"
        'I1,C1,car,"{""make"": ""Volvo"", ""year"": 2019}"\n'
        "I2,C1,pet,\n"
    )
    report = _import(org, "individuals", text)
    assert (report.created, report.updated) == (2, 0)
    car = Individual.objects.get(external_id="I1")
    assert (car.customer, car.kind, car.attributes) == (
        anna,
        "car",
        {"make": "Volvo", "year": 2019},
    )
    report = _import(org, "individuals", text.replace("2019", "2020"))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    report = _import(
        org, "individuals", "individual_id,customer_external_id,kind,attributes\nI3,C1,car,[1]\n"
    )
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (2, "attributes", "must be a JSON object ({...})")
    ]
    assert Individual.objects.count() == 2
    assert Individual.objects.filter(organisation=other_org).count() == 0
