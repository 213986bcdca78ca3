"""The delivery ledger, suppressions, templates, articles and campaigns (MSG-1 … MSG-10)."""

import functools
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from regulars.customers.models import Customer
from regulars.orgs.models import Organisation


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    LETTER = "letter", _("Letter")


class Status(models.TextChoices):
    """A message's place in the ledger. queued → sending → sent/failed, then provider events."""

    SKIPPED = "skipped", _("Skipped")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    DELIVERED = "delivered", _("Delivered")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")


class Message(models.Model):
    """One message to one customer, recorded under its unique key before any provider sees it."""

    # Indexed only as the first column of message_key_per_org.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, db_index=False)
    # Indexed only as the first column of message_customer.
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # (source, customer, occurrence): the same key twice is the same message.
    key = models.CharField(max_length=200)
    source = models.CharField(max_length=100)
    to_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    # Postal address block for letters, one line per line.
    address_block = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    skip_reason = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="message_key_per_org")
        ]
        indexes = [
            # The worker's claim: queued rows that are due, oldest first.
            models.Index(fields=["status", "next_attempt_at", "id"], name="message_due"),
            models.Index(fields=["organisation", "source"], name="message_source"),
            models.Index(fields=["customer", "created_at"], name="message_customer"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def message_id(self) -> str:
        """The RFC 5322 Message-ID: stable per ledger row, so a repeat is recognisable."""
        local = _NOT_IN_MESSAGE_ID.sub(".", self.key)
        return f"<{local}.{self.pk}@{_message_id_domain(settings.SITE_URL)}>"


_NOT_IN_MESSAGE_ID = re.compile(r"[^A-Za-z0-9-]+")


@functools.lru_cache(maxsize=4)
def _message_id_domain(site_url: str) -> str:
    return urlsplit(site_url).hostname or "localhost"


class Suppression(models.Model):
    """An address no message may go to again: hard bounce or complaint (MSG-7)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    address = models.CharField(max_length=254)
    reason = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "address"], name="one_suppression")
        ]


class Article(models.Model):
    """A reusable content piece an organisation writes once (MSG-10)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    title = models.CharField(_("title"), max_length=200)
    body_html = models.TextField(_("content"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class EmailTemplate(models.Model):
    """A saved e-mail: subject and body with merge codes (MSG-2), used by campaign links."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=200)
    subject = models.CharField(_("subject"), max_length=200)
    body_html = models.TextField(_("content"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CampaignKind(models.TextChoices):
    GENERIC = "generic", _("Generic")
    NEWSLETTER = "newsletter", _("Newsletter")
    INDIVIDUAL = "individual", _("Individual")


class Dispatch(models.TextChoices):
    UNDEFINED = "undefined", _("Undefined")
    PRINT = "print", _("Print")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    EMAIL_REPORT = "email_report", _("E-mail with report")


class DirectLink(models.TextChoices):
    NONE = "", _("None")
    CUSTOMER_PAGE = "customer_page", _("My page")
    ITEM = "item", _("Item")
    ITEM_GROUP = "item_group", _("Item group")
    ARTICLE = "article", _("Article")
    FRONT = "front", _("Front page")


class Campaign(models.Model):
    """A one-off send to a frozen list of recipients (MSG-6, seed 004)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    description = models.CharField(_("description"), max_length=200)
    kind = models.CharField(
        _("campaign type"), max_length=12, choices=CampaignKind.choices, default="generic"
    )
    dispatch = models.CharField(
        _("dispatch type"), max_length=12, choices=Dispatch.choices, default="undefined"
    )
    direct_link = models.CharField(
        _("direct link"), max_length=16, choices=DirectLink.choices, blank=True
    )
    # Item number, item group name or article id the direct link points at.
    direct_link_target = models.CharField(_("direct link target"), max_length=200, blank=True)
    requires_consent = models.BooleanField(_("requires consent"), default=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("content"), blank=True)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("article")
    )
    rules = models.JSONField(_("selection rules"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    recipients_generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.description

    @property
    def channel(self) -> str | None:
        return {
            Dispatch.EMAIL: Channel.EMAIL,
            Dispatch.EMAIL_REPORT: Channel.EMAIL,
            Dispatch.SMS: Channel.SMS,
            Dispatch.PRINT: Channel.LETTER,
        }.get(Dispatch(self.dispatch))


class CampaignRecipient(models.Model):
    """One customer on a campaign's frozen list, with why they were left out, if they were."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    added_by_hand = models.BooleanField(default=False)
    skip_reason = models.CharField(max_length=100, blank=True)
    # The distribution that queued this recipient's message (0 = not yet); with the
    # campaign and customer it makes the ledger key (`message_key`).
    distribution = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="one_recipient")
        ]

    @property
    def message_key(self) -> str:
        return campaign_message_key(self.campaign_id, self.distribution, self.customer_id)


def campaign_message_key(campaign_id: int, distribution: int, customer_id: int) -> str:
    """The ledger key of a campaign message: (source, occurrence, customer)."""
    return f"campaign:{campaign_id}:{distribution}:{customer_id}"


class Distribution(models.Model):
    """One press of 'distribute': numbered per campaign; resends are new distributions."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="distributions")
    number = models.PositiveIntegerField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    started_at = models.DateTimeField(auto_now_add=True)
    queued = models.PositiveIntegerField(default=0)
    # Set when the last recipient is queued; until then the report waits and distributing
    # again resumes this distribution (it is committed chunk by chunk).
    queued_at = models.DateTimeField(null=True, blank=True)
    report_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="one_distribution_number")
        ]


class PeriodicRun(models.Model):
    """When a registered periodic task last ran, shared by every runner on every machine,
    so `regulars worker` and Celery beat together still run it once per interval."""

    name = models.CharField(max_length=100, unique=True)
    last_run_at = models.DateTimeField()
