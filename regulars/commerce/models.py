"""What customers bought, booked and attended (DATA-4).

Money is stored in integer minor units (øre/cents): sums in SQL stay exact on SQLite too.
Sale lines and tickets repeat the facts segments filter on (customer, time, channel, item
group) so that a segment criterion reads one table through one index.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from regulars.customers.models import Customer
from regulars.orgs.models import Organisation


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class SaleChannel(models.TextChoices):
    POS = "pos", _("Till")
    ADHOC = "adhoc", _("Ad hoc")


class TicketChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    BOXOFFICE = "boxoffice", _("Box office")


class ItemGroup(models.Model):
    """A varegruppe."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="item_group_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    """A product or service sold at the till, identified by its item number (varenummer)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    number = models.CharField(_("item number"), max_length=50)
    name = models.CharField(_("name"), max_length=200, blank=True)
    group = models.ForeignKey(ItemGroup, null=True, blank=True, on_delete=models.SET_NULL)
    price_cents = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="item_number_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}".strip()


class Sale(models.Model):
    """A receipt (bon)."""

    # Indexed only as the first column of receipt_per_org.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, db_index=False)
    receipt_id = models.CharField(_("receipt id"), max_length=100)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL)
    sold_at = models.DateTimeField(_("time"))
    channel = models.CharField(max_length=10, choices=SaleChannel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "receipt_id"], name="receipt_per_org")
        ]
        indexes = [models.Index(fields=["organisation", "sold_at"])]


class SaleLine(models.Model):
    # Indexed only as the first column of the (organisation, …) indexes.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, db_index=False)
    # Indexed only as the first column of line_number_per_sale.
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_number = models.PositiveIntegerField()
    # Copies of the sale's facts, kept equal by the actions that write sales.
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL)
    sold_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=SaleChannel.choices)
    item = models.ForeignKey(Item, on_delete=models.PROTECT)
    item_group = models.ForeignKey(ItemGroup, null=True, blank=True, on_delete=models.SET_NULL)
    quantity = models.IntegerField()
    unit_price_cents = models.BigIntegerField()
    discount_cents = models.BigIntegerField(default=0)
    amount_cents = models.BigIntegerField()

    class Meta:
        ordering = ["sale_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["sale", "line_number"], name="line_number_per_sale")
        ]
        indexes = [
            # last purchase, revenue per customer, a customer's history
            models.Index(fields=["organisation", "customer", "sold_at"]),
            # revenue / bought from item group G between dates, from the index alone
            models.Index(
                fields=["organisation", "item_group", "sold_at", "customer", "amount_cents"]
            ),
            # bought item N between dates
            models.Index(fields=["organisation", "item", "sold_at", "customer"]),
        ]

    @property
    def amount(self) -> Decimal:
        return cents_to_decimal(self.amount_cents)


class Service(models.Model):
    """A bookable service or class (behandling, hold)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="service_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No show")


class Booking(models.Model):
    # Indexed only as the first column of booking_per_org.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, db_index=False)
    external_id = models.CharField(_("booking id"), max_length=100)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="bookings")
    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(max_length=12, choices=BookingStatus.choices)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "external_id"], name="booking_per_org")
        ]
        indexes = [
            models.Index(fields=["organisation", "start", "service"]),
            models.Index(fields=["organisation", "customer", "start"]),
            models.Index(fields=["organisation", "status", "end"]),
        ]


class Venue(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=200)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="venue_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Production(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="production_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """A dated performance of a production at a venue."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    external_id = models.CharField(_("event id"), max_length=100)
    production = models.ForeignKey(Production, on_delete=models.PROTECT)
    venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.PROTECT)
    start = models.DateTimeField(_("start"))

    class Meta:
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "external_id"], name="event_per_org")
        ]
        indexes = [models.Index(fields=["organisation", "start"])]

    def __str__(self) -> str:
        return f"{self.production} {self.start:%Y-%m-%d %H:%M}"


class TicketOrder(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    order_id = models.CharField(_("order id"), max_length=100)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL)
    ordered_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=TicketChannel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "order_id"], name="order_per_org")
        ]


class Ticket(models.Model):
    """One order's tickets for one event (one import row)."""

    # Indexed only as the first column of the (organisation, …) indexes.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, db_index=False)
    order = models.ForeignKey(TicketOrder, on_delete=models.CASCADE, related_name="tickets")
    # Copies of the order's facts and the event's start, kept equal by the import actions.
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL)
    ordered_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=TicketChannel.choices)
    event = models.ForeignKey(Event, on_delete=models.PROTECT)
    event_start = models.DateTimeField()
    production = models.ForeignKey(Production, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    amount_cents = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "customer", "ordered_at"]),
            # Tickets for events / productions (ordered at or before the moment), from the
            # index alone.
            models.Index(fields=["organisation", "event", "customer", "ordered_at"]),
            models.Index(
                fields=["organisation", "production", "event_start", "customer", "ordered_at"]
            ),
            models.Index(fields=["organisation", "event_start", "customer", "ordered_at"]),
        ]
