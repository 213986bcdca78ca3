"""The main navigation of the back office."""

from django.utils.translation import gettext_lazy as _

# (URL name, label, permission). Areas that have not registered their index view yet
# are left out rather than linked to a page that does not exist.
NAV_ITEMS = [
    ("web:customers", _("Customers"), "view"),
    ("web:segments", _("Segments"), "market"),
    ("web:campaigns", _("Campaigns"), "market"),
    ("web:triggers", _("Triggers"), "market"),
    ("web:loyalty", _("Loyalty"), "view"),
    ("web:statistics", _("Statistics"), "market"),
    ("web:imports", _("Imports"), "market"),
    ("web:settings", _("Settings"), "owner"),
]
