"""Criteria on ticket orders for events (SEG-4, seed 002).

A ticket order counts only when it was placed at or before `at`; which events it is for
is decided by the event's own start (so tickets for future events count).
"""

from django.db import connection
from django.db.models import Aggregate, Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from regulars.commerce.models import Event, Production, Ticket, TicketChannel

from ..clock import DAY
from ..params import MAX_DAYS, Params, RuleError
from ..sql import OrderedWithinDaysOfEvent
from .base import (
    Criterion,
    TotalRange,
    cents_bounds,
    column_between,
    customers_in,
    register,
    summarised,
    totals_between,
)


class TicketCriterion(Criterion):
    def tickets(self) -> QuerySet:
        return Ticket.objects.filter(organisation=self.organisation, ordered_at__lte=self.clock.at)


@register
class EventCriterion(TicketCriterion):
    type = "event"
    label = _("Bought tickets for events")
    parameters = {"events": "events", "productions": "productions", "days_back": "int"}

    def parse(self, params: Params) -> None:
        events = params.texts("events", required=False)
        productions = params.texts("productions", required=False)
        self.event_ids = self.context.ids_for_names(
            Event, events, params.at("events"), field="external_id"
        )
        self.production_ids = self.context.ids_for_names(
            Production, productions, params.at("productions")
        )
        self.days_back = params.optional_integer("days_back", 0) or 0
        if self.days_back > MAX_DAYS:
            raise RuleError(params.at("days_back"), f"must be at most {MAX_DAYS}")

    def condition(self) -> Q:
        tickets = self.tickets().filter(event_start__gte=self.clock.at - self.days_back * DAY)
        if self.event_ids or self.production_ids:
            tickets = tickets.filter(
                Q(event_id__in=self.event_ids) | Q(production_id__in=self.production_ids)
            )
        return customers_in(tickets)


@register
class ImpulsiveCriterion(TicketCriterion):
    type = "impulsive"
    label = _("Impulsive")
    parameters = {"max_days": "int"}

    def parse(self, params: Params) -> None:
        self.max_days = params.integer("max_days", 0, MAX_DAYS)

    def condition(self) -> Q:
        """From the customer's shortest ticket lead (see `summarised`), or from the rows."""
        return summarised(
            self.context,
            Q(shortest_ticket_lead__lte=self.max_days * DAY),
            customers_in(self.tickets().filter(OrderedWithinDaysOfEvent(self.max_days))),
        )


@register
class SalesTypeCriterion(TicketCriterion):
    type = "sales_type"
    label = _("Sales type")
    parameters = {"value": "sales_type"}

    def parse(self, params: Params) -> None:
        self.value = params.choice("value", ["online", "boxoffice", "both", "all"])

    def condition(self) -> Q:
        return summarised(self.context, self.channel_totals(), self.channel_rows())

    def channel_totals(self) -> Q:
        online, boxoffice = Q(online_tickets__gt=0), Q(boxoffice_tickets__gt=0)
        return {
            "all": online | boxoffice,
            "online": online & ~boxoffice,
            "boxoffice": boxoffice & ~online,
            "both": online & boxoffice,
        }[self.value]

    def channel_rows(self) -> Q:
        if self.value == "all":
            return customers_in(self.tickets())
        if connection.vendor == "postgresql":
            return self.channel_sets()
        return self.channel_counts()

    def channel_sets(self) -> Q:
        """Two hashed sets of owners, one per channel (PostgreSQL: starting from the
        GROUP BY below it probes every other criterion once per ticket buyer)."""
        online = customers_in(self.tickets().filter(channel=TicketChannel.ONLINE))
        boxoffice = customers_in(self.tickets().filter(channel=TicketChannel.BOXOFFICE))
        if self.value == "online":
            return online & ~boxoffice
        if self.value == "boxoffice":
            return boxoffice & ~online
        return online & boxoffice

    def channel_counts(self) -> Q:
        """One GROUP BY over the (organisation, customer, channel) index counting both
        channels (SQLite: building two temporary sets of most ticket buyers is slower)."""
        wanted = {
            "online": {"online__gt": 0, "boxoffice": 0},
            "boxoffice": {"online": 0, "boxoffice__gt": 0},
            "both": {"online__gt": 0, "boxoffice__gt": 0},
        }[self.value]
        per_customer = (
            self.tickets()
            .filter(customer__isnull=False)
            .order_by()
            .values("customer_id")
            .annotate(
                online=Count("pk", filter=Q(channel=TicketChannel.ONLINE)),
                boxoffice=Count("pk", filter=Q(channel=TicketChannel.BOXOFFICE)),
            )
            .filter(**wanted)
        )
        return Q(pk__in=per_customer.values("customer_id"))


class TicketTotalCriterion(TicketCriterion):
    """A total over the customer's tickets compared with `value` (gte or eq); none = 0.

    Several of them in an "all" group are one GROUP BY over the tickets, not one each.
    """

    parameters = {"op": "count_op", "value": "int"}
    merge_key = "ticket_totals"
    column: str  # the purchase-total column of Customer holding the lifetime total

    def total(self) -> Aggregate:
        raise NotImplementedError

    def parse(self, params: Params) -> None:
        self.op = params.choice("op", ["gte", "eq"])
        self.bounds = self.read_bounds(params)

    def read_bounds(self, params: Params) -> tuple[int | None, int | None]:
        value = params.integer("value", 0)
        return (value, None) if self.op == "gte" else (value, value)

    def total_range(self) -> TotalRange:
        return TotalRange(self.total(), *self.bounds)

    def condition(self) -> Q:
        return self.all_of([self])

    @classmethod
    def all_of(cls, criteria: list[Criterion]) -> Q:
        ticket_criteria: list[TicketTotalCriterion] = criteria  # type: ignore[assignment]
        first = ticket_criteria[0]
        totals = Q()
        for criterion in ticket_criteria:
            totals &= column_between(criterion.column, *criterion.bounds)
        rows = totals_between(first.tickets(), [c.total_range() for c in ticket_criteria])
        return summarised(first.context, totals, rows)


@register
class TicketCountCriterion(TicketTotalCriterion):
    type = "ticket_count"
    label = _("Number of tickets")
    column = "ticket_quantity"

    def total(self) -> Aggregate:
        return Sum("quantity")


@register
class EventCountCriterion(TicketTotalCriterion):
    type = "event_count"
    label = _("Number of events")
    column = "ticket_events"

    def total(self) -> Aggregate:
        return Count("event_id", distinct=True)


@register
class OrderCountCriterion(TicketTotalCriterion):
    type = "order_count"
    label = _("Number of orders")
    column = "ticket_orders"

    def total(self) -> Aggregate:
        return Count("order_id", distinct=True)


@register
class TicketRevenueCriterion(TicketTotalCriterion):
    type = "ticket_revenue"
    label = _("Ticket revenue")
    column = "ticket_revenue_cents"
    parameters = {"op": "count_op", "value": "number"}

    def read_bounds(self, params: Params) -> tuple[int | None, int | None]:
        value = params.number("value", minimum=0)
        low, high = cents_bounds(value, value)
        return (low, None) if self.op == "gte" else (low, high)

    def total(self) -> Aggregate:
        return Sum("amount_cents")
