"""Purchase totals on Customer: a cache of sale lines and tickets that every writer keeps
equal to the rows (imports, re-imports moving a receipt or an order, the demo data)."""

import datetime
import io
import zoneinfo

import pytest
from django.utils import timezone

from regulars.commerce.models import SaleLine, Ticket
from regulars.customers.models import Customer
from regulars.demo.actions import generate_demo_data
from regulars.imports.actions import import_file

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
TOTALS = (
    "last_purchase_at",
    "ticket_quantity",
    "ticket_events",
    "ticket_orders",
    "ticket_revenue_cents",
    "online_tickets",
    "boxoffice_tickets",
    "shortest_ticket_lead",
)
DAY = datetime.timedelta(days=1)
LEAD_29_DAYS_7_30 = datetime.timedelta(days=29, hours=7, minutes=30)
SALES_HEADER = (
    "receipt_id,customer_external_id,sold_at,channel,item_number,item_name,item_group,"
    "quantity,unit_price,discount,amount\n"
)
TICKETS_HEADER = (
    "order_id,customer_external_id,ordered_at,channel,production,event_id,event_start,venue,"
    "venue_latitude,venue_longitude,tickets,amount\n"
)


def _import(org, kind, text):
    report = import_file(
        organisation=org, kind=kind, file=io.BytesIO(text.encode()), filename=f"{kind}.csv"
    )
    assert report.ok, report.errors


def _customer(org, external_id):
    return Customer.objects.create(
        organisation=org, external_id=external_id, created_at=timezone.now()
    )


def _totals(person):
    return Customer.objects.values_list(*TOTALS).get(pk=person.pk)


def _from_rows(person):
    """The totals computed in Python from the customer's rows."""
    lines = SaleLine.objects.filter(customer=person)
    tickets = list(Ticket.objects.filter(customer=person))
    times = [line.sold_at for line in lines] + [ticket.ordered_at for ticket in tickets]
    return (
        max(times, default=None),
        sum(t.quantity for t in tickets),
        len({t.event_id for t in tickets}),
        len({t.order_id for t in tickets}),
        sum(t.amount_cents for t in tickets),
        sum(t.channel == "online" for t in tickets),
        sum(t.channel == "boxoffice" for t in tickets),
        min(
            (t.event_start - t.ordered_at for t in tickets if t.ordered_at <= t.event_start),
            default=None,
        ),
    )


def test_sales_set_the_last_purchase_and_a_moved_receipt_moves_it(org, other_org):
    anna, bo = _customer(org, "C1"), _customer(org, "C2")
    stranger = _customer(other_org, "C1")
    _import(
        org,
        "sales",
        SALES_HEADER
        + "R1,C1,2026-03-01 10:15,pos,100,Shampoo,Hair,1,100,,\n"
        + "R2,C1,2026-02-01 09:00,pos,100,Shampoo,Hair,1,100,,\n",
    )
    assert _totals(anna)[0] == datetime.datetime(2026, 3, 1, 10, 15, tzinfo=CPH)
    assert _totals(bo)[0] is None

    _import(org, "sales", SALES_HEADER + "R1,C2,2026-03-01 10:15,pos,100,,,1,100,,\n")

    assert _totals(anna)[0] == datetime.datetime(2026, 2, 1, 9, 0, tzinfo=CPH)
    assert _totals(bo)[0] == datetime.datetime(2026, 3, 1, 10, 15, tzinfo=CPH)
    assert _totals(stranger) == (None, 0, 0, 0, 0, 0, 0, None)


def test_ticket_orders_give_exact_totals_and_a_replaced_order_replaces_them(org, other_org):
    anna, bo = _customer(org, "C1"), _customer(org, "C2")
    _customer(other_org, "C1")
    _import(
        org,
        "tickets",
        TICKETS_HEADER
        + "O1,C1,2026-05-01T12:00,online,Hamlet,E1,2026-06-01T19:30,Scene,,,2,450.00\n"
        + "O1,C1,2026-05-01T12:00,online,Hamlet,E2,2026-06-02T19:30,Scene,,,1,225\n"
        + "O2,C1,2026-05-03T12:00,boxoffice,Hamlet,E1,2026-06-01T19:30,Scene,,,4,900\n",
    )
    may_3 = datetime.datetime(2026, 5, 3, 12, 0, tzinfo=CPH)
    # The shortest lead: O2, ordered 3 May 12:00 for E1 on 1 June 19:30.
    assert _totals(anna) == (may_3, 7, 2, 2, 157_500, 2, 1, LEAD_29_DAYS_7_30)

    _import(
        org,
        "tickets",
        TICKETS_HEADER + "O2,C2,2026-05-03T12:00,online,Hamlet,E2,2026-06-02T19:30,Scene,,,1,10\n",
    )

    may_1 = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=CPH)
    assert _totals(anna) == (may_1, 3, 2, 1, 67_500, 2, 0, LEAD_29_DAYS_7_30 + 2 * DAY)
    assert _totals(bo) == (may_3, 1, 1, 1, 1_000, 1, 0, LEAD_29_DAYS_7_30 + DAY)


@pytest.mark.parametrize("bulk", [False, True])
def test_demo_data_leaves_every_customer_with_the_totals_of_their_rows(org, other_org, bulk):
    generate_demo_data(
        organisation=org, customers=60, seed=3, today=datetime.date(2026, 6, 1), bulk=bulk
    )
    generate_demo_data(
        organisation=other_org, customers=20, seed=4, today=datetime.date(2026, 6, 1)
    )
    people = list(Customer.objects.filter(organisation=org))
    assert sum(_totals(person)[0] is not None for person in people) > 30
    assert sum(_totals(person)[2] > 0 for person in people) > 5
    for person in people:
        assert _totals(person) == _from_rows(person), person.external_id
