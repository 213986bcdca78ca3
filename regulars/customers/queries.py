"""Reads on customers."""

import operator
from functools import reduce

from django.db import connection
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


def search_word(organisation: Organisation, word: str) -> Q:
    """The organisation's customers one search word finds: a word with "@" starts their
    e-mail address, any other word starts their first or last name (in any case).

    Every alternative is a range of an (organisation, …) index and names the
    organisation itself, so that SQLite reads the alternatives' ranges and joins them
    (its OR optimisation) rather than scanning the organisation's customers."""
    if "@" in word:
        starts = [("email", word.lower())]
    else:
        starts = [
            (column, variant)
            for variant in _case_variants(word)
            for column in ("search_first_name", "search_last_name")
        ]
    ranges = (
        Q(organisation=organisation) & _starts_with(column, prefix) for column, prefix in starts
    )
    return reduce(operator.or_, ranges)


def _case_variants(word: str) -> list[str]:
    """The word as the database lower-cases names. SQLite's lower() leaves letters
    beyond ASCII alone, so "Ørsted" stays "Ørsted" there: a word starting with such a
    letter is looked up capitalised too."""
    variants = [word.lower()]
    if not word[:1].isascii():
        variants.append(word[:1].upper() + word[1:].lower())
    return variants


def _starts_with(column: str, prefix: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(**{f"{column}__startswith": prefix})  # LIKE 'prefix%': pattern index
    # SQLite's LIKE ignores case and so cannot use a binary index; a range can.
    return Q(**{f"{column}__gte": prefix, f"{column}__lt": prefix + "\U0010ffff"})
