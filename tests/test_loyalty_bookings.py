"""Points for bookings (LOY-9): credited hours after the appointment, never twice."""

import datetime
import itertools

import pytest
from django.utils import timezone
from loyalty_world import build

from regulars.commerce.models import Booking, BookingStatus, Service
from regulars.loyalty.actions import set_service_rule
from regulars.loyalty.bookings import credit_due_bookings
from regulars.loyalty.models import Balance, EntryKind, LedgerEntry

HOUR = datetime.timedelta(hours=1)
SERIAL = itertools.count()


@pytest.fixture
def world(org, other_org):
    other = build(other_org, prefix="o-")
    other_service = Service.objects.create(organisation=other_org, name="Massage")
    set_service_rule(program=other.program, service=other_service, points=7)
    world = build(org)
    world.service = Service.objects.create(organisation=org, name="Yoga class")
    set_service_rule(program=world.program, service=world.service, points=25)
    world.other = other
    world.other_service = other_service
    return world


def book(org, customer, service, end, status=BookingStatus.BOOKED):
    return Booking.objects.create(
        organisation=org,
        external_id=f"b{next(SERIAL)}",
        customer=customer,
        service=service,
        start=end - HOUR,
        end=end,
        status=status,
    )


def points(world, who):
    found = Balance.objects.filter(program=world.program, customer=who).first()
    return found.points if found else 0


def test_credited_after_delay_once_and_reversed_on_cancel(world):
    now = timezone.now() + 10 * HOUR
    due = book(world.org, world.anna, world.service, now - 4 * HOUR)
    book(world.org, world.anna, world.service, now - 2 * HOUR)  # within the 3 hours
    book(world.org, world.ben, world.service, now - 5 * HOUR, BookingStatus.CANCELLED)
    book(world.org, world.ben, world.service, now - 5 * HOUR, BookingStatus.NO_SHOW)
    book(world.other.org, world.other.anna, world.other_service, now - 5 * HOUR)

    assert credit_due_bookings(now) == {"credited": 2, "reversed": 0}
    assert credit_due_bookings(now) == {"credited": 0, "reversed": 0}
    assert (points(world, world.anna), points(world, world.ben)) == (25, 0)
    assert LedgerEntry.objects.filter(booking=due, kind=EntryKind.EARN).count() == 1

    Booking.objects.filter(pk=due.pk).update(status=BookingStatus.CANCELLED)
    assert credit_due_bookings(now) == {"credited": 0, "reversed": 1}
    assert credit_due_bookings(now + 5 * HOUR) == {"credited": 1, "reversed": 0}
    assert points(world, world.anna) == 25
    reversal = LedgerEntry.objects.get(kind=EntryKind.REVERSE)
    assert (reversal.amount, reversal.reverses.booking_id) == (-25, due.pk)
    assert Balance.objects.get(customer=world.other.anna).points == 7


def test_delay_is_configurable(world):
    world.program.booking_credit_delay_hours = 6
    world.program.save()
    now = timezone.now() + 10 * HOUR
    book(world.org, world.anna, world.service, now - 4 * HOUR)
    assert credit_due_bookings(now)["credited"] == 0
    assert credit_due_bookings(now + 2 * HOUR)["credited"] == 1
    assert points(world, world.anna) == 25
