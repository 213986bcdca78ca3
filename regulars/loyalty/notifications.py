"""Telling customers about their points (LOY-11, LOY-13) through the delivery ledger."""

import logging

from django.template import Context, Engine
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from .errors import LoyaltyError
from .models import LedgerEntry, LoyaltySettings

log = logging.getLogger(__name__)

# The templates an organisation starts with, in its language; staff may change them.
DEFAULT_TEMPLATES = {
    "credit_subject": gettext_noop("{{ points }} points added"),
    "credit_body": gettext_noop(
        "Dear {{ customer.first_name }},\n\n{{ points }} points were added to your "
        "{{ program.name }} account: {{ description }}.\nYour balance is now {{ balance }} points."
    ),
    "manual_subject": gettext_noop("Your points balance was changed"),
    "manual_body": gettext_noop(
        "Dear {{ customer.first_name }},\n\nYour {{ program.name }} balance was changed by "
        "{{ points }} points: {{ description }}.\nYour balance is now {{ balance }} points."
    ),
}


def settings_for(organisation: Organisation) -> LoyaltySettings:
    """The organisation's notification templates, made from the defaults in its language
    the first time they are asked for."""
    found = LoyaltySettings.objects.filter(organisation=organisation).first()
    if found is not None:
        return found
    with translation.override(organisation.language):
        defaults = {field: _(text) for field, text in DEFAULT_TEMPLATES.items()}
    found, _created = LoyaltySettings.objects.get_or_create(
        organisation=organisation, defaults=defaults
    )
    return found


def send_message(
    *, customer: Customer, key: str, subject: str, body_text: str, requires_consent: bool
) -> None:
    """Queue an e-mail through messaging; it decides about address and consent."""
    try:
        from regulars.messaging.actions import queue_message
    except ImportError:  # messaging not installed in this build
        log.warning("loyalty message %s not queued: no messaging", key)
        return
    queue_message(
        organisation=customer.organisation,
        customer=customer,
        channel="email",
        key=key,
        subject=subject,
        body_html=None,
        body_text=body_text,
        source="loyalty",
        requires_consent=requires_consent,
    )


def notify_entry(entry: LedgerEntry, *, manual: bool) -> None:
    """Render the organisation's text for an automatic credit or a manual change."""
    kind = "manual" if manual else "credit"
    found = settings_for(entry.organisation)
    texts = [getattr(found, f"{kind}_subject"), getattr(found, f"{kind}_body")]
    values = {
        "customer": {"first_name": entry.customer.first_name},
        "program": {"name": entry.program.name},
        "points": entry.amount,
        "balance": entry.balance_after,
        "description": entry.description,
    }
    with translation.override(entry.customer.language or entry.organisation.language):
        try:
            subject, body = (render(text, values) for text in texts)
        except Exception:
            # A text saved before texts were checked: the customer still hears of the points.
            log.warning("organisation %s: its %s text does not render", found.organisation_id, kind)
            defaults = [DEFAULT_TEMPLATES[f"{kind}_subject"], DEFAULT_TEMPLATES[f"{kind}_body"]]
            subject, body = (render(_(text), values) for text in defaults)
        send_message(
            customer=entry.customer,
            key=f"loyalty:entry:{entry.pk}",
            subject=subject.strip() or _("Points"),
            body_text=body,
            requires_consent=True,
        )


# Staff write the texts. They see only the values the notifications page lists, never a
# model (whose relations reach other data, staff logins included), through an engine that
# loads no other template and no tag library.
ENGINE = Engine(loaders=[], libraries={})
SAMPLE_VALUES = {
    "customer": {"first_name": "Anna"},
    "program": {"name": "Points"},
    "points": 10,
    "balance": 110,
    "description": "Birthday",
}


def render(text: str, values: dict) -> str:
    return ENGINE.from_string(text).render(Context(values, autoescape=False))


def check_template(text: str) -> None:
    """Refuse a text that would not render, before it is saved."""
    try:
        render(text, SAMPLE_VALUES)
    except Exception as error:  # any failure: {% url 'x' %}, divisibleby:0, a bad tag …
        raise LoyaltyError(
            "bad_template", _("The text cannot be used: %(error)s") % {"error": error}
        ) from None
