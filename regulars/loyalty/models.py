"""Point programs, their item and service rules, the points ledger, gift cards (LOY-1 … 13).

Points live in an append-only ledger (`LedgerEntry`); `Balance` is a cache of it per
program and customer, written in the same transaction as the entry under a row lock.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from regulars.commerce.models import Booking, Item, Sale, SaleLine, Service
from regulars.customers.models import Customer
from regulars.orgs.models import Organisation


class Icon(models.TextChoices):
    STAR = "star", "★"
    HEART = "heart", "♥"
    GIFT = "gift", "🎁"
    CROWN = "crown", "♛"
    CHECK = "check", "✓"
    PERSON = "person", "👤"


class Program(models.Model):
    """A point program (pointprogram). Created inactive; never deleted, only deactivated.

    A supplier's program (`organisation.is_supplier`) is used by the dealers that opted in
    (`ProgramUse`); points then belong to the dealer's customers.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(_("name shown to customers"), max_length=100)
    newsletter_required = models.BooleanField(
        _("newsletter required to earn points"), default=False
    )
    forfeit_on_unsubscribe = models.BooleanField(
        _("delete points when the customer unsubscribes"), default=False
    )
    unsubscribe_warning = models.TextField(_("warning shown before unsubscribing"), blank=True)
    earn_on_adhoc = models.BooleanField(_("earn points on ad-hoc purchases"), default=False)
    earn_on_discounted = models.BooleanField(_("earn points on discounted items"), default=False)
    customer_can_see_balance = models.BooleanField(_("customer can see balance"), default=True)
    active = models.BooleanField(_("active"), default=False)
    # Whole local days in the organisation's zone, both ends included; empty = open.
    earn_from = models.DateField(_("active period from"), null=True, blank=True)
    earn_until = models.DateField(_("active period until"), null=True, blank=True)
    redeem_from = models.DateField(_("redemption period from"), null=True, blank=True)
    redeem_until = models.DateField(_("redemption period until"), null=True, blank=True)
    show_signed_up_icon = models.BooleanField(_("show signed-up icon"), default=False)
    signed_up_icon = models.CharField(
        _("signed-up icon"), max_length=10, choices=Icon.choices, default=Icon.STAR
    )
    show_not_signed_up_icon = models.BooleanField(_("show not-signed-up icon"), default=False)
    not_signed_up_icon = models.CharField(
        _("not-signed-up icon"), max_length=10, choices=Icon.choices, default=Icon.PERSON
    )
    booking_credit_delay_hours = models.PositiveSmallIntegerField(
        _("hours after a booking ends before its points are added"), default=3
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def delete(self, *args, **kwargs):
        raise PermissionError("point programs are never deleted; deactivate them")


class ProgramUse(models.Model):
    """A dealer's opt-in ('Benyt') to its supplier's program (LOY-12)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="uses")
    dealer = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    active = models.BooleanField(default=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "dealer"], name="one_use_per_dealer")
        ]


class PointTerms(models.Model):
    """Points earned per item, point price and whether it may be bought for points."""

    points_earned = models.PositiveIntegerField(_("points earned per purchase"), default=0)
    point_price = models.PositiveIntegerField(_("point price"), default=0)
    purchasable_for_points = models.BooleanField(_("may be bought for points"), default=False)

    class Meta:
        abstract = True


class ItemRule(PointTerms):
    """An item's standard terms in a program. Supplier programs match dealers' items by number."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="item_rules")
    item = models.ForeignKey(Item, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "item"], name="one_rule_per_item")
        ]


class ItemRulePeriod(PointTerms):
    """A time-limited period (local dates, inclusive) that overrides the standard terms."""

    rule = models.ForeignKey(ItemRule, on_delete=models.CASCADE, related_name="periods")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))

    class Meta:
        ordering = ["starts_on", "id"]


class ServiceRule(models.Model):
    """Points for a booked service or class (seed 003), added after the appointment."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="service_rules")
    service = models.ForeignKey(Service, on_delete=models.CASCADE)
    points = models.PositiveIntegerField(_("points per booking"))
    # Bookings that ended before the rule existed do not earn retroactively.
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "service"], name="one_rule_per_service")
        ]


class GiftCardProduct(models.Model):
    """A gift card customers can buy for points (seed 003)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="gift_products")
    name = models.CharField(_("name"), max_length=100)
    value_cents = models.BigIntegerField(_("value"))
    point_price = models.PositiveIntegerField(_("point price"))
    valid_days = models.PositiveIntegerField(_("valid for days"), default=365)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["point_price", "id"]

    def __str__(self) -> str:
        return self.name


class GiftCard(models.Model):
    """A bought gift card: an unguessable code whose remaining value is tracked."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    product = models.ForeignKey(GiftCardProduct, on_delete=models.PROTECT)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="gift_cards")
    code = models.CharField(max_length=40, unique=True)
    value_cents = models.BigIntegerField()
    remaining_cents = models.BigIntegerField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(remaining_cents__gte=0), name="gift_card_not_overdrawn"
            )
        ]


class GiftCardUse(models.Model):
    """Part of a sale paid with a gift card."""

    gift_card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="uses")
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT)
    amount_cents = models.BigIntegerField()
    used_at = models.DateTimeField()


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    ADJUST = "adjust", _("Adjusted")
    REVERSE = "reverse", _("Reversed")
    FORFEIT = "forfeit", _("Forfeited")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("ledger entries are never updated")

    def delete(self):
        raise PermissionError("ledger entries are never deleted")


class LedgerEntry(models.Model):
    """One change of a customer's points. Never updated or deleted; corrected by reversal.

    `organisation` is the customer's (the dealer's, for a supplier program).
    """

    # Indexed only as the first column of the (organisation, created_at) index.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, db_index=False)
    # Indexed only as the first column of the (program, customer, created_at) index.
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="point_entries")
    amount = models.IntegerField()
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    # What caused it: at most one of these (adjustments name the staff user).
    sale_line = models.ForeignKey(SaleLine, null=True, blank=True, on_delete=models.PROTECT)
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.PROTECT)
    gift_card = models.ForeignKey(GiftCard, null=True, blank=True, on_delete=models.PROTECT)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    balance_after = models.IntegerField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "sale_line", "kind"],
                condition=models.Q(sale_line__isnull=False),
                name="sale_line_counts_once",
            ),
            models.UniqueConstraint(
                fields=["program", "booking", "kind"],
                condition=models.Q(booking__isnull=False),
                name="booking_counts_once",
            ),
            models.UniqueConstraint(
                fields=["gift_card", "kind"],
                condition=models.Q(gift_card__isnull=False),
                name="gift_card_counts_once",
            ),
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="entry_balance_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["program", "customer", "created_at"]),
            models.Index(fields=["organisation", "created_at"]),
            models.Index(fields=["program", "kind", "created_at"]),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("ledger entries are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("ledger entries are never deleted")


class Balance(models.Model):
    """The sum of a customer's ledger entries in one program; locked while it changes."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="point_balances")
    points = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "customer"], name="one_balance"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="balance_not_negative"),
        ]


class LoyaltySettings(models.Model):
    """An organisation's notification templates (LOY-13), Django template syntax.

    Variables: customer, program, points, balance, description.
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE)
    credit_subject = models.CharField(_("subject, points added automatically"), max_length=200)
    credit_body = models.TextField(_("text, points added automatically"))
    manual_subject = models.CharField(_("subject, manual change"), max_length=200)
    manual_body = models.TextField(_("text, manual change"))


class Basket(models.Model):
    """A sale being rung up at the till; completing it writes the sale and the points."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.CharField(max_length=10, default="pos")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    sale = models.OneToOneField(Sale, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)


class BasketLine(models.Model):
    basket = models.ForeignKey(Basket, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    item = models.ForeignKey(Item, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    unit_price_cents = models.BigIntegerField()
    discount_cents = models.BigIntegerField(default=0)
    # Set when the line is paid with points of this program (locked at 100 % discount).
    points_program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["line_number"]
        constraints = [
            models.UniqueConstraint(fields=["basket", "line_number"], name="basket_line_number")
        ]


class IdempotencyKey(models.Model):
    """A write request's `Idempotency-Key` and its first response, kept at least 24 h.

    Written in the same transaction as the request's work, so it always holds a response.
    """

    # Indexed only as the first column of one_idempotency_key.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, db_index=False)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="one_idempotency_key")
        ]
        indexes = [models.Index(fields=["created_at"])]
