"""Reads on customers."""

import operator
import re
from functools import reduce

import phonenumbers
from django.db import connection
from django.db.models import Q, QuerySet

from regulars.orgs.models import Organisation

from .models import Customer


def search_customers(
    organisation: Organisation, text: str = "", external_id: str = ""
) -> QuerySet[Customer]:
    """The organisation's customers that `text` finds (search_condition), or that carry
    `external_id`."""
    customers = Customer.objects.filter(organisation=organisation)
    if external_id:
        customers = customers.filter(external_id=external_id)
    if text.strip():
        customers = customers.filter(search_condition(organisation, customers, text))
    return customers.prefetch_related("groups", "tags", "permissions")


def search_condition(organisation: Organisation, customers: QuerySet[Customer], text: str) -> Q:
    """A whole e-mail address, mobile number or external id, when one of `customers` has
    it; otherwise every word must start a name or the e-mail address, each an index range
    (search_word)."""
    exact_ids = first_ids(
        customers.filter(_exact_match(text.strip(), organisation.country)), EXACT_MATCH_LIMIT
    )
    if exact_ids:
        return Q(pk__in=exact_ids)
    words = Q()
    for word in text.split():
        words &= search_word(organisation, word)
    return words


# More customers than this sharing one e-mail or number is not an exact lookup any more.
EXACT_MATCH_LIMIT = 500
PHONE_LIKE = re.compile(r"\+?[\d \-]{6,}")


def first_ids(customers: QuerySet[Customer], limit: int) -> list[int]:
    return list(customers.order_by().values_list("pk", flat=True)[:limit])


def _exact_match(text: str, country: str) -> Q:
    if "@" in text:
        return Q(email__in={text, text.lower()})
    if PHONE_LIKE.fullmatch(text):
        try:
            number = phonenumbers.parse(text, country or "DK")
        except phonenumbers.NumberParseException:
            return Q(pk__in=[])
        return Q(mobile=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return Q(external_id=text)


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
