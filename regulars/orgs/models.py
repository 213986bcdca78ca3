"""Organisations (tenants), staff memberships with roles, and API tokens."""

import hashlib
import zoneinfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """One business. Every row of business data belongs to exactly one (DATA-1)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Copenhagen")
    country = models.CharField(_("country"), max_length=2, default="DK")
    language = models.CharField(_("default language"), max_length=8, default="da")
    currency = models.CharField(_("currency"), max_length=3, default="DKK")
    address = models.CharField(_("address"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    # Shown in the e-mail layout's footer above the address (MSG-2), e.g. opening hours.
    email_footer = models.TextField(_("e-mail footer"), max_length=1000, blank=True)
    # A supplier's dealers sit under it (LOY-12).
    supplier = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="dealers"
    )
    is_supplier = models.BooleanField(_("supplier"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MARKETER = "marketer", _("Marketer")
    CASHIER = "cashier", _("Cashier")
    VIEWER = "viewer", _("Viewer")


class Membership(models.Model):
    """A staff user's role in one organisation; a user may belong to several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"

    @property
    def can_market(self) -> bool:
        return self.role in {Role.OWNER, Role.MARKETER}

    @property
    def can_edit(self) -> bool:
        return self.role != Role.VIEWER

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class StaffProfile(models.Model):
    """Per-user preferences that follow the user across organisations."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    language = models.CharField(max_length=8, blank=True)
    current_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """An integration's key for one organisation. Only the hash is stored; shown once."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
