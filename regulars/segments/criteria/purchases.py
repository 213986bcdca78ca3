"""Criteria on sales through the till and ad hoc (SEG-3) and on bookings."""

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from regulars.commerce.models import (
    Booking,
    BookingStatus,
    Item,
    ItemGroup,
    SaleLine,
    Service,
    Ticket,
)

from ..clock import DAY
from ..params import Params, check_range
from .base import (
    Criterion,
    cents_bounds,
    customers_in,
    register,
    summarised,
    total_between,
)

SALE_CHANNELS = ["all", "pos", "adhoc"]


class SaleLineCriterion(Criterion):
    """Shared by the purchase criteria: optional period and channel over sale lines."""

    def parse_sale_filters(self, params: Params) -> None:
        self.period = params.period("period", required=False)
        self.channel = params.choice("channel", SALE_CHANNELS, default="all")

    def sale_lines(self) -> QuerySet:
        """The organisation's sale lines at or before `at`, within period and channel."""
        lines = SaleLine.objects.filter(organisation=self.organisation, sold_at__lte=self.clock.at)
        if self.period is not None:
            lines = lines.filter(**self.context.window(self.period).lookups("sold_at"))
        if self.channel != "all":
            lines = lines.filter(channel=self.channel)
        return lines


@register
class BoughtItemCriterion(SaleLineCriterion):
    type = "bought_item"
    label = _("Bought item number")
    parameters = {"items": "items", "period": "period", "channel": "sale_channel"}

    def parse(self, params: Params) -> None:
        self.item_ids = self.context.ids_for_names(
            Item, params.texts("items"), params.at("items"), field="number"
        )
        self.parse_sale_filters(params)

    def condition(self) -> Q:
        return customers_in(self.sale_lines().filter(item_id__in=self.item_ids))


@register
class BoughtItemGroupCriterion(SaleLineCriterion):
    type = "bought_item_group"
    label = _("Bought from item group")
    parameters = {"groups": "item_groups", "period": "period", "channel": "sale_channel"}

    def parse(self, params: Params) -> None:
        self.group_ids = self.context.ids_for_names(
            ItemGroup, params.texts("groups"), params.at("groups")
        )
        self.parse_sale_filters(params)

    def condition(self) -> Q:
        return customers_in(self.sale_lines().filter(item_group_id__in=self.group_ids))


@register
class RevenueCriterion(SaleLineCriterion):
    type = "revenue"
    label = _("Revenue")
    parameters = {
        "min": "number",
        "max": "number",
        "item_group": "item_group",
        "period": "period",
        "channel": "sale_channel",
    }

    def parse(self, params: Params) -> None:
        self.minimum = params.optional_number("min")
        self.maximum = params.optional_number("max")
        check_range(self.minimum, self.maximum, params.at("max"))
        group = params.optional_text("item_group")
        self.group_ids = (
            None
            if group is None
            else self.context.ids_for_names(ItemGroup, [group], params.at("item_group"))
        )
        self.parse_sale_filters(params)

    def condition(self) -> Q:
        lines = self.sale_lines()
        if self.group_ids is not None:
            lines = lines.filter(item_group_id__in=self.group_ids)
        low, high = cents_bounds(self.minimum, self.maximum)
        return total_between(lines, Sum("amount_cents"), low, high)


@register
class BookingCriterion(Criterion):
    type = "booking"
    label = _("Has a booking within a period")
    parameters = {"period": "period", "services": "services"}

    def parse(self, params: Params) -> None:
        self.period = params.period("period")
        names = params.texts("services", required=False)
        self.service_ids = (
            self.context.ids_for_names(Service, names, params.at("services")) if names else None
        )

    def condition(self) -> Q:
        assert self.period is not None
        bookings = Booking.objects.filter(
            organisation=self.organisation,
            status__in=[BookingStatus.BOOKED, BookingStatus.COMPLETED],
            **self.context.window(self.period).lookups("start"),
        )
        if self.service_ids is not None:
            bookings = bookings.filter(service_id__in=self.service_ids)
        return customers_in(bookings)


@register
class LastPurchaseCriterion(Criterion):
    """The last purchase is the latest sale line or ticket order at or before `at`."""

    type = "last_purchase"
    label = _("Last purchase")
    parameters = {"mode": "last_purchase_mode", "days": "int"}

    def parse(self, params: Params) -> None:
        self.mode = params.choice("mode", ["within", "exactly", "not_within"])
        self.days = params.integer("days", 0, 36600)

    def purchased(self, **lookups: object) -> Q:
        lines = SaleLine.objects.filter(organisation=self.organisation)
        tickets = Ticket.objects.filter(organisation=self.organisation)
        sold = {key.replace("at__", "sold_at__"): value for key, value in lookups.items()}
        ordered = {key.replace("at__", "ordered_at__"): value for key, value in lookups.items()}
        return customers_in(lines.filter(**sold)) | customers_in(tickets.filter(**ordered))

    def condition(self) -> Q:
        """From the customer's last purchase time (see `summarised`), or from the rows."""
        at = self.clock.at
        if self.mode == "exactly":
            day = self.clock.today - self.days * DAY
            window = self.clock.local_days(day, day)
            last = Q(last_purchase_at__gte=window.start, last_purchase_at__lt=window.end)
            on_that_day = self.purchased(at__gte=window.start, at__lt=window.end, at__lte=at)
            rows = on_that_day & ~self.purchased(at__gte=window.end, at__lte=at)
            return summarised(self.context, last, rows)
        start = at - self.days * DAY
        rows = self.purchased(at__gte=start, at__lte=at)
        if self.mode == "within":
            return summarised(self.context, Q(last_purchase_at__gte=start), rows)
        # Not within: no purchase, or the last one before the window — two ranges of the
        # last-purchase index, with no NOT around the columns.
        never_or_before = Q(last_purchase_at__isnull=True) | Q(last_purchase_at__lt=start)
        return summarised(self.context, never_or_before, ~rows)
