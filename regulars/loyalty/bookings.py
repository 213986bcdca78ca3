"""Points for bookings (LOY-9): credited some hours after the appointment, by the worker.

`credit_due_bookings` is idempotent: the unique (program, booking, kind) key means a
booking is never credited twice, and a booking cancelled after its credit is reversed
once (`reverses` is unique too).
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from regulars.commerce.models import Booking, BookingStatus

from .actions import reverse_entry
from .ledger import append_entry, lock_balance
from .models import EntryKind, LedgerEntry, ServiceRule
from .notifications import notify_entry
from .queries import customer_may_earn, earns_on, local_date

log = logging.getLogger(__name__)

EARNING_STATUSES = (BookingStatus.BOOKED, BookingStatus.COMPLETED)
LOST_STATUSES = (BookingStatus.CANCELLED, BookingStatus.NO_SHOW)


def credit_due_bookings(now: datetime.datetime | None = None) -> dict[str, int]:
    """Credit every booking past its delay, reverse credits of cancelled ones; counts."""
    now = now or timezone.now()
    credited = sum(_credit_rule(rule, now) for rule in _rules())
    reversed_ = sum(_reverse(entry) for entry in _credits_to_reverse())
    return {"credited": credited, "reversed": reversed_}


def _rules():
    return ServiceRule.objects.filter(program__active=True).select_related(
        "program__organisation", "service"
    )


def _credit_rule(rule: ServiceRule, now: datetime.datetime) -> int:
    due_before = now - datetime.timedelta(hours=rule.program.booking_credit_delay_hours)
    bookings = (
        Booking.objects.filter(
            service=rule.service,
            status__in=EARNING_STATUSES,
            end__lte=due_before,
            end__gte=rule.created_at,
            customer__erased_at__isnull=True,
        )
        .exclude(
            pk__in=LedgerEntry.objects.filter(
                program=rule.program, kind=EntryKind.EARN, booking__isnull=False
            ).values("booking_id")
        )
        .select_related("customer__organisation")
    )
    return sum(_credit(rule, booking) for booking in bookings.iterator())


def _credit(rule: ServiceRule, booking: Booking) -> int:
    program, customer = rule.program, booking.customer
    if not earns_on(program, local_date(program.organisation, booking.end)):
        return 0
    if not customer_may_earn(program, customer, "pos"):
        return 0
    try:
        with transaction.atomic():
            entry = append_entry(
                balance=lock_balance(program, customer),
                amount=rule.points,
                kind=EntryKind.EARN,
                booking=booking,
                description=rule.service.name,
            )
            transaction.on_commit(lambda: notify_entry(entry, manual=False))
    except IntegrityError:
        log.info("booking %s was credited meanwhile", booking.pk)
        return 0
    return 1


def _credits_to_reverse():
    return LedgerEntry.objects.filter(
        kind=EntryKind.EARN,
        booking__status__in=LOST_STATUSES,
        reversal__isnull=True,
    ).select_related("program", "customer", "booking")


def _reverse(entry: LedgerEntry) -> int:
    try:
        # Points already spent cannot be taken back: reverse what is left.
        reverse_entry(entry=entry, description=f"{entry.description}: cancelled", clamp=True)
    except IntegrityError:
        return 0
    return 1
