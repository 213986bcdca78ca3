"""Reads on customers."""

from django.db.models import Q, QuerySet

from regulars.orgs.models import Organisation

from .models import Customer


def search_customers(
    organisation: Organisation, text: str = "", external_id: str = ""
) -> QuerySet[Customer]:
    """The organisation's customers whose name, e-mail, mobile or external id contains
    `text` (every word must match somewhere)."""
    customers = Customer.objects.filter(organisation=organisation)
    if external_id:
        customers = customers.filter(external_id=external_id)
    for word in text.split():
        digits = word.lstrip("+")
        match = (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(external_id__icontains=word)
        )
        if digits.isdigit():
            match |= Q(mobile__contains=digits)
        customers = customers.filter(match)
    return customers.prefetch_related("groups", "tags", "permissions")
