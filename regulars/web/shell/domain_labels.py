"""Choice labels of the domain models that back-office pages show (roles, genders,
channels, statuses). They are translated in this area's catalogue because these pages
are where staff read them; gettext finds them here whichever app defines them."""

from django.utils.translation import gettext_noop

DOMAIN_LABELS = [
    gettext_noop("Owner"),
    gettext_noop("Marketer"),
    gettext_noop("Cashier"),
    gettext_noop("Viewer"),
    gettext_noop("Female"),
    gettext_noop("Male"),
    gettext_noop("Unknown"),
    gettext_noop("Till"),
    gettext_noop("Ad hoc"),
    gettext_noop("Online"),
    gettext_noop("Box office"),
    gettext_noop("Booked"),
    gettext_noop("Completed"),
    gettext_noop("Cancelled"),
    gettext_noop("No show"),
    gettext_noop("E-mail newsletter"),
    gettext_noop("SMS newsletter"),
    gettext_noop("Permission"),
    gettext_noop("English"),
    gettext_noop("Danish"),
    gettext_noop("Norwegian Bokmål"),
]
