"""Refusals of loyalty actions: a stable code for programs, a message for people in the
language active where it is raised (the back office's page language)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# What may be not found, for the catalogue.
THINGS = [
    gettext_noop("basket"),
    gettext_noop("customer"),
    gettext_noop("gift card"),
    gettext_noop("item"),
    gettext_noop("line"),
    gettext_noop("program"),
    gettext_noop("service"),
]


class LoyaltyError(ValueError):
    """Bad input or a forbidden change; nothing was written."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(LoyaltyError):
    def __init__(self, what: str):
        super().__init__("not_found", _("%(what)s not found") % {"what": _(what)})
