"""The customer list: search, filters, sorting and keyset pagination.

Keyset pagination (WHERE (sort key) > (last row's key) ORDER BY … LIMIT n) costs the same
on page 1 and page 20,000, and the total is counted only up to COUNT_LIMIT, so the list
stays fast with a million customers.
"""

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass, field

import phonenumbers
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils.dateparse import parse_datetime

from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

PAGE_SIZE = 50
COUNT_LIMIT = 10_000

# Sort choice → model fields in order; the last is always the unique id.
SORTS: dict[str, tuple[str, ...]] = {
    "name": ("last_name", "first_name", "id"),
    "-name": ("-last_name", "-first_name", "-id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
}
DEFAULT_SORT = "name"
DIGITS = re.compile(r"\d")
PHONE_LIKE = re.compile(r"\+?[\d \-]{6,}")


@dataclass
class CustomerFilters:
    q: str = ""
    group: int | None = None
    tag: int | None = None
    consent: str = ""  # email | sms | none
    member: str = ""  # yes | no
    sort: str = DEFAULT_SORT

    @property
    def active(self) -> bool:
        return bool(self.q or self.group or self.tag or self.consent or self.member)


@dataclass
class CustomerPage:
    customers: list[Customer]
    total: int  # capped at COUNT_LIMIT + 1
    next_cursor: str | None
    previous_cursor: str | None
    filters: CustomerFilters = field(default_factory=CustomerFilters)
    count_limit: int = COUNT_LIMIT

    @property
    def total_is_capped(self) -> bool:
        return self.total > self.count_limit


# More customers than this sharing one e-mail or number is not an exact lookup any more.
EXACT_MATCH_LIMIT = 500


def search_customers(organisation: Organisation, filters: CustomerFilters) -> QuerySet[Customer]:
    """The organisation's (not erased) customers matching the search and filters."""
    customers = Customer.objects.filter(organisation=organisation, erased_at__isnull=True)
    if filters.q:
        customers = _search(customers, filters.q, organisation.country)
    if filters.group:
        customers = customers.filter(groups=filters.group)
    if filters.tag:
        customers = customers.filter(tags=filters.tag)
    if filters.consent == "email":
        customers = customers.filter(email_consent=True)
    elif filters.consent == "sms":
        customers = customers.filter(sms_consent=True)
    elif filters.consent == "none":
        customers = customers.filter(email_consent=False, sms_consent=False)
    if filters.member in ("yes", "no"):
        customers = customers.filter(member=filters.member == "yes")
    return customers


def _search(customers: QuerySet[Customer], query: str, country: str) -> QuerySet[Customer]:
    """A whole e-mail address, mobile number or external id is looked up through its
    index first; only when nothing has it exactly do the words search inside names,
    addresses and numbers (a scan of the organisation's customers)."""
    # Ids first, without the list's ordering: sorted by name, SQLite walks the name index
    # across every customer instead of reading the few rows the e-mail/mobile index has.
    exact_ids = list(
        customers.filter(_exact_query(query.strip(), country))
        .order_by()
        .values_list("pk", flat=True)[:EXACT_MATCH_LIMIT]
    )
    if exact_ids:
        return customers.filter(pk__in=exact_ids)
    for term in _terms(query):
        customers = customers.filter(_term_query(term))
    return customers


def _exact_query(query: str, country: str) -> Q:
    if "@" in query:
        return Q(email__in={query, query.lower()})
    if PHONE_LIKE.fullmatch(query):
        try:
            number = phonenumbers.parse(query, country or "DK")
        except phonenumbers.NumberParseException:
            return Q(pk__in=[])
        return Q(mobile=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return Q(external_id=query)


def _terms(query: str) -> list[str]:
    """Search words; a phone number written with spaces ("20 30 40 50") is one word."""
    if PHONE_LIKE.fullmatch(query.strip()):
        return ["".join(DIGITS.findall(query))]
    return query.split()


def _term_query(term: str) -> Q:
    """One search word matches a name, the e-mail, the external id or the mobile number."""
    query = (
        Q(first_name__icontains=term)
        | Q(last_name__icontains=term)
        | Q(email__icontains=term)
        | Q(external_id=term)
    )
    digits = "".join(DIGITS.findall(term))
    if len(digits) >= 4 and len(digits) >= len(term.strip("+ ")) - 2:
        query |= Q(mobile__contains=digits)
    return query


def customer_page(
    organisation: Organisation,
    filters: CustomerFilters,
    after: str | None = None,
    before: str | None = None,
) -> CustomerPage:
    sort = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    matching = search_customers(organisation, filters)
    after_key, before_key = decode_cursor(after, sort), decode_cursor(before, sort)
    if before_key is not None:
        rows = list(
            matching.filter(_beyond(sort, before_key, backwards=True)).order_by(*_reversed(sort))[
                : PAGE_SIZE + 1
            ]
        )
        has_more_before = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE][::-1]
        has_more_after = True
    else:
        query = matching
        if after_key is not None:
            query = query.filter(_beyond(sort, after_key, backwards=False))
        rows = list(query.order_by(*sort)[: PAGE_SIZE + 1])
        has_more_after = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        has_more_before = after_key is not None
    if before_key is None and after_key is None and not has_more_after:
        total = len(rows)  # everything fits on the first page: no second scan to count
    else:
        total = matching.values("pk")[: COUNT_LIMIT + 1].count()
    _prefetch_badges(rows)
    return CustomerPage(
        customers=rows,
        total=total,
        next_cursor=encode_cursor(rows[-1], sort) if rows and has_more_after else None,
        previous_cursor=encode_cursor(rows[0], sort) if rows and has_more_before else None,
        filters=filters,
        count_limit=COUNT_LIMIT,
    )


def _prefetch_badges(rows: list[Customer]) -> None:
    prefetch_related_objects(rows, "groups", "tags")


def _reversed(sort: tuple[str, ...]) -> list[str]:
    return [name[1:] if name.startswith("-") else f"-{name}" for name in sort]


def _beyond(sort: tuple[str, ...], key: list, backwards: bool) -> Q:
    """Rows after `key` in `sort` order (before it when `backwards`), as a Q."""
    result = Q(pk__in=[])
    for position, name in enumerate(sort):
        column = name.lstrip("-")
        descending = name.startswith("-") != backwards
        step = Q(**{f"{column}__{'lt' if descending else 'gt'}": key[position]})
        for earlier, earlier_name in enumerate(sort[:position]):
            step &= Q(**{earlier_name.lstrip("-"): key[earlier]})
        result |= step
    return result


def encode_cursor(customer: Customer, sort: tuple[str, ...]) -> str:
    values = []
    for name in sort:
        value = getattr(customer, name.lstrip("-"))
        values.append(value.isoformat() if isinstance(value, dt.datetime) else value)
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, sort: tuple[str, ...]) -> list | None:
    """The sort key in a cursor, or None when absent or not made for this sort."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(values, list) or len(values) != len(sort):
        return None
    key = []
    for name, value in zip(sort, values, strict=True):
        column = name.lstrip("-")
        if column == "created_at":
            value = parse_datetime(value) if isinstance(value, str) else None
        elif column == "id":
            value = value if isinstance(value, int) else None
        elif not isinstance(value, str):
            value = None
        if value is None:
            return None
        key.append(value)
    return key
