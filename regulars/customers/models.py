"""Customers, their groups, tags, permissions, consent history and individuals (DATA-3, DATA-6)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from regulars.orgs.models import Organisation


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class CustomerGroup(models.Model):
    """A kundegruppe."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="group_name_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="tag_name_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Permission(models.Model):
    """A named permission (tilladelse) a customer can grant, with the text shown to them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)
    text = models.TextField(_("text shown to the customer"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="permission_name_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    # Indexed only as the first column of the (organisation, …) indexes.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, db_index=False)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, help_text="E.164")
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    # month * 100 + day of birth_date, so birthday windows are an indexed range.
    birth_monthday = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    # The postcode as a number when it is one, for postcode intervals (SEG-3 criterion 4).
    postcode_number = models.IntegerField(null=True, blank=True, editable=False)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(auto_now=True)
    member = models.BooleanField(_("member"), default=False)
    # Current newsletter consents; ConsentRecord keeps the history with proof.
    email_consent = models.BooleanField(_("e-mail newsletter"), default=False)
    sms_consent = models.BooleanField(_("SMS newsletter"), default=False)
    groups = models.ManyToManyField(CustomerGroup, blank=True, related_name="customers")
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers")
    permissions = models.ManyToManyField(
        Permission, blank=True, related_name="customers", through="CustomerPermission"
    )
    # Set when the customer is erased (DATA-7): personal data blanked, rows kept.
    erased_at = models.DateTimeField(null=True, blank=True)
    # Lower-cased names kept by the database itself, so that every writer (imports, the
    # demo generator's bulk rows, the API) leaves them right: the customer list finds a
    # search word as an indexed prefix of one of them (see queries.search_word).
    search_first_name = models.GeneratedField(
        expression=Lower("first_name"),
        output_field=models.CharField(max_length=100),
        db_persist=True,
    )
    search_last_name = models.GeneratedField(
        expression=Lower("last_name"),
        output_field=models.CharField(max_length=100),
        db_persist=True,
    )
    # Whom a newsletter can reach on each channel (consent and an address), kept by the
    # database: segment counts read these flags from an index instead of the rows. (Django
    # takes a Q as a boolean expression; the type stubs know only Expression.)
    email_reachable = models.GeneratedField(
        expression=Q(email_consent=True) & ~Q(email=""),  # type: ignore[arg-type]
        output_field=models.BooleanField(),
        db_persist=True,
    )
    sms_reachable = models.GeneratedField(
        expression=Q(sms_consent=True) & ~Q(mobile=""),  # type: ignore[arg-type]
        output_field=models.BooleanField(),
        db_persist=True,
    )
    # Purchase totals: a cache of the customer's sale lines and tickets, refreshed by
    # every writer of those in the same transaction (regulars.commerce.totals), so that
    # segment criteria read one row per customer instead of aggregating every line.
    last_purchase_at = models.DateTimeField(null=True, blank=True, editable=False)
    ticket_quantity = models.IntegerField(default=0, db_default=0, editable=False)
    ticket_events = models.IntegerField(default=0, db_default=0, editable=False)
    ticket_orders = models.IntegerField(default=0, db_default=0, editable=False)
    ticket_revenue_cents = models.BigIntegerField(default=0, db_default=0, editable=False)
    online_tickets = models.IntegerField(default=0, db_default=0, editable=False)
    boxoffice_tickets = models.IntegerField(default=0, db_default=0, editable=False)
    # The shortest time from a ticket order to its event's start (orders placed before the
    # start only): "impulsive" within N days is this ≤ N days.
    shortest_ticket_lead = models.DurationField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"], name="customer_external_id_per_org"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "mobile"]),
            # The list sorted by name. With the id and the searched names in the index,
            # a page of ids comes from the index alone (an index-only scan on
            # PostgreSQL), even when a search matching too many customers to fetch
            # first is filtered while walking it.
            models.Index(
                fields=[
                    "organisation",
                    "last_name",
                    "first_name",
                    "id",
                    "search_first_name",
                    "search_last_name",
                    "erased_at",
                ],
                name="customer_name_sort_ids",
            ),
            # The list sorted by creation: a page of ids from the index alone.
            models.Index(
                fields=["organisation", "created_at", "id", "erased_at"],
                name="customer_created_sort_ids",
            ),
            # Birthday windows: a range of month-days, answered from the index alone.
            models.Index(
                fields=["organisation", "birth_monthday", "erased_at", "birth_date"],
                name="customer_birthday",
            ),
            # Last purchase (not) within N days: a range, or a scan of the index alone.
            models.Index(
                fields=["organisation", "last_purchase_at", "erased_at"],
                name="customer_last_purchase",
            ),
            # Impulsive buyers: a range of the shortest ticket lead, with the ticket
            # channels ("sales type") tested beside it answered from the index too.
            models.Index(
                fields=[
                    "organisation",
                    "shortest_ticket_lead",
                    "erased_at",
                    "online_tickets",
                    "boxoffice_tickets",
                ],
                name="customer_ticket_lead",
            ),
            # Postcode intervals: a range of postcodes with the person columns other
            # criteria test beside them (age, gender, consents), answered from the index.
            models.Index(
                fields=[
                    "organisation",
                    "postcode_number",
                    "erased_at",
                    "birth_date",
                    "gender",
                    "member",
                    "email_consent",
                    "sms_consent",
                    "id",
                ],
                name="customer_postcode",
            ),
            # Exact and prefix searches: LIKE 'word%' on PostgreSQL needs the pattern
            # operator class (which serves = as well); SQLite ignores it, searches by range.
            models.Index(
                fields=["organisation", "search_first_name"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="customer_first_name_prefix",
            ),
            models.Index(
                fields=["organisation", "search_last_name"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="customer_last_name_prefix",
            ),
            models.Index(
                fields=["organisation", "email"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="customer_email_prefix",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.external_id or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class CustomerPermission(models.Model):
    """A permission the customer currently grants (history in ConsentRecord)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    permission = models.ForeignKey(Permission, on_delete=models.CASCADE)
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "permission"], name="one_grant")]


class ConsentKind(models.TextChoices):
    EMAIL = "email", _("E-mail newsletter")
    SMS = "sms", _("SMS newsletter")
    PERMISSION = "permission", _("Permission")


class ConsentRecord(models.Model):
    """One change of consent, with its proof. Never updated, never deleted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    # Indexed only as the first column of the (customer, kind, recorded_at) index.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="consents",
        db_index=False,
    )
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    permission = models.ForeignKey(Permission, null=True, blank=True, on_delete=models.PROTECT)
    granted = models.BooleanField()
    recorded_at = models.DateTimeField()
    source = models.CharField(max_length=100)  # import, api, back office, unsubscribe link …
    text_shown = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Which message an unsubscribe came from, when it came from one.
    message_key = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["customer", "kind", "recorded_at"])]


class Individual(models.Model):
    """Something a customer owns (Quick3 'individ'): a car, a pet … with free attributes."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="individuals")
    external_id = models.CharField(max_length=100)
    kind = models.CharField(_("kind"), max_length=50)
    attributes = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"], name="individual_id_per_org"
            )
        ]
        indexes = [models.Index(fields=["organisation", "kind"])]
