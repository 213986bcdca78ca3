"""Saved segments and saved views (SEG-6).

A segment stores only its rule tree, so membership is dynamic: every evaluation sees who
matches now. A view is a segment plus extra filters, optionally "for" a production or an
event, in which case customers already holding tickets for it are left out. Removing
either is reversible (`removed_at`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from regulars.commerce.models import Event, Production
from regulars.orgs.models import Organisation


class SavedSegment(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    rules = models.JSONField(_("rules"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organisation", "removed_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class SavedView(models.Model):
    """A segment seen through extra filters, optionally for a production or event."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    segment = models.ForeignKey(SavedSegment, on_delete=models.CASCADE, related_name="views")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # A rule group (SPEC 9.3) every member must also match; None = no extra filter.
    filters = models.JSONField(_("extra filters"), null=True, blank=True)
    production = models.ForeignKey(
        Production, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("production")
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("event")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None
