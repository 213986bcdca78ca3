"""Telling customers about their points (LOY-11, LOY-13) through the delivery ledger."""

import logging

from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext as _

from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from .models import LedgerEntry, LoyaltySettings

log = logging.getLogger(__name__)

DEFAULT_CREDIT_SUBJECT = "{{ points }} points added"
DEFAULT_CREDIT_BODY = (
    "Dear {{ customer.first_name }},\n\n{{ points }} points were added to your "
    "{{ program.name }} account: {{ description }}.\nYour balance is now {{ balance }} points."
)
DEFAULT_MANUAL_SUBJECT = "Your points balance was changed"
DEFAULT_MANUAL_BODY = (
    "Dear {{ customer.first_name }},\n\nYour {{ program.name }} balance was changed by "
    "{{ points }} points: {{ description }}.\nYour balance is now {{ balance }} points."
)


def settings_for(organisation: Organisation) -> LoyaltySettings:
    found, _created = LoyaltySettings.objects.get_or_create(
        organisation=organisation,
        defaults={
            "credit_subject": DEFAULT_CREDIT_SUBJECT,
            "credit_body": DEFAULT_CREDIT_BODY,
            "manual_subject": DEFAULT_MANUAL_SUBJECT,
            "manual_body": DEFAULT_MANUAL_BODY,
        },
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
    """Render the organisation's template for an automatic credit or a manual change."""
    found = settings_for(entry.organisation)
    subject, body = (
        (found.manual_subject, found.manual_body)
        if manual
        else (found.credit_subject, found.credit_body)
    )
    context = Context(
        {
            "customer": entry.customer,
            "program": entry.program,
            "points": entry.amount,
            "balance": entry.balance_after,
            "description": entry.description,
        },
        autoescape=False,
    )
    with translation.override(entry.customer.language or entry.organisation.language):
        send_message(
            customer=entry.customer,
            key=f"loyalty:entry:{entry.pk}",
            subject=Template(subject).render(context).strip() or _("Points"),
            body_text=Template(body).render(context),
            requires_consent=True,
        )
