"""The customer list: search, filters, sorting and keyset pagination.

Keyset pagination (WHERE (sort key) > (last row's key) ORDER BY … LIMIT n) costs the same
on page 1 and page 20,000, and the total is counted only up to COUNT_LIMIT, so the list
stays fast with a million customers.
"""

import base64
import binascii
import datetime as dt
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Exists, Model, OuterRef, Q, QuerySet, prefetch_related_objects
from django.utils.dateparse import parse_datetime

from regulars.customers.models import Customer
from regulars.customers.queries import first_ids, search_condition
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


@dataclass
class Matches:
    """The customers a list view shows and how many they are (COUNT_LIMIT + 1: more).
    When they are few and Python orders text as the database does, `keys` holds every
    match's sort key (ending with its id), sorted, and no second query is needed."""

    customers: QuerySet[Customer]
    total: int
    keys: list[tuple] | None = None


def find_customers(
    organisation: Organisation, filters: CustomerFilters, sort: tuple[str, ...]
) -> Matches:
    """The organisation's (not erased) customers matching the filters and the search.

    They are fetched first, in no order and at most COUNT_LIMIT + 1, with every filter in
    the shape that lets the planner start from the smallest set (a group's rows, a search
    word's index range); sorted, it would walk the sort index across all customers
    looking for the few that match. When there are more than that, they are dense
    enough for the walk to fill a page soon, and the filters go on the walk."""
    customers = Customer.objects.filter(organisation=organisation, erased_at__isnull=True)
    conditions = _flag_conditions(filters)
    candidates = customers
    if filters.q:
        search = search_condition(organisation, customers, filters.q)
        conditions &= search
        # The search names the organisation in each of its index ranges; naming it once
        # more outside them leads SQLite to scan the organisation's customers instead.
        candidates = Customer.objects.filter(search, erased_at__isnull=True)
    found = candidates.filter(conditions, *_memberships(filters, _member_in)).order_by()
    columns = [name.lstrip("-") for name in sort]
    if _sorts_text_like_python():
        keys = list(found.values_list(*columns)[: COUNT_LIMIT + 1])
        if len(keys) <= COUNT_LIMIT:
            keys.sort(reverse=sort[0].startswith("-"))
            return Matches(Customer.objects.none(), total=len(keys), keys=keys)
    else:
        ids = first_ids(found, COUNT_LIMIT + 1)
        if len(ids) <= COUNT_LIMIT:
            return Matches(Customer.objects.filter(pk__in=ids), total=len(ids))
    walk = customers.filter(conditions, *_memberships(filters, _member_exists))
    return Matches(walk, total=COUNT_LIMIT + 1)


def _sorts_text_like_python() -> bool:
    """SQLite compares text byte by byte (code points, as Python does); PostgreSQL does
    so only under the C collation, else the database sorts the matches it found."""
    if connection.vendor == "sqlite":
        return True
    return _database_collation(connection.settings_dict["NAME"]) in C_COLLATIONS


C_COLLATIONS = frozenset({"C", "POSIX", "C.UTF-8", "C.utf8"})


@functools.cache
def _database_collation(database: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _flag_conditions(filters: CustomerFilters) -> Q:
    conditions = Q()
    if filters.consent == "email":
        conditions &= Q(email_consent=True)
    elif filters.consent == "sms":
        conditions &= Q(sms_consent=True)
    elif filters.consent == "none":
        conditions &= Q(email_consent=False, sms_consent=False)
    if filters.member in ("yes", "no"):
        conditions &= Q(member=filters.member == "yes")
    return conditions


def _memberships(filters: CustomerFilters, shape: Callable[..., Q | Exists]) -> list[Q | Exists]:
    """The group and tag filters, in the given shape."""
    memberships = []
    if filters.group:
        memberships.append(shape(Customer.groups.through, customergroup_id=filters.group))
    if filters.tag:
        memberships.append(shape(Customer.tags.through, tag_id=filters.tag))
    return memberships


def _member_in(through: type[Model], **member_of: int) -> Q:
    """id IN (the group's customers): the planner can start from the group's rows."""
    return Q(pk__in=through.objects.filter(**member_of).values("customer_id"))


def _member_exists(through: type[Model], **member_of: int) -> Exists:
    """EXISTS (…): a probe per customer while walking the sort index."""
    return Exists(through.objects.filter(customer_id=OuterRef("pk"), **member_of))


def customer_page(
    organisation: Organisation,
    filters: CustomerFilters,
    after: str | None = None,
    before: str | None = None,
) -> CustomerPage:
    sort = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    matches = find_customers(organisation, filters, sort)
    after_key, before_key = decode_cursor(after, sort), decode_cursor(before, sort)
    if matches.keys is not None:
        ids, has_more_before, has_more_after = _page_of_keys(
            matches.keys, sort[0].startswith("-"), after_key, before_key
        )
        rows = _rows(ids)
    elif before_key is not None:
        earlier = matches.customers.filter(_beyond(sort, before_key, backwards=True))
        ids = _page_ids(earlier, _reversed(sort))
        has_more_before = len(ids) > PAGE_SIZE
        rows = _rows(ids[:PAGE_SIZE])[::-1]
        has_more_after = True
    else:
        query = matches.customers
        if after_key is not None:
            query = query.filter(_beyond(sort, after_key, backwards=False))
        ids = _page_ids(query, list(sort))
        has_more_after = len(ids) > PAGE_SIZE
        rows = _rows(ids[:PAGE_SIZE])
        has_more_before = after_key is not None
    _prefetch_badges(rows)
    return CustomerPage(
        customers=rows,
        total=matches.total,
        next_cursor=encode_cursor(rows[-1], sort) if rows and has_more_after else None,
        previous_cursor=encode_cursor(rows[0], sort) if rows and has_more_before else None,
        filters=filters,
        count_limit=COUNT_LIMIT,
    )


def _page_of_keys(
    keys: list[tuple], descending: bool, after_key: list | None, before_key: list | None
) -> tuple[list[int], bool, bool]:
    """The page's ids in sorted sort keys, and whether pages come before and after it."""

    def comes_after(key: tuple, cursor: tuple) -> bool:
        return key < cursor if descending else key > cursor

    if before_key is not None:
        cursor = tuple(before_key)
        end = next((i for i, key in enumerate(keys) if not comes_after(cursor, key)), len(keys))
        start = max(0, end - PAGE_SIZE)
        return [key[-1] for key in keys[start:end]], start > 0, True
    start = 0
    if after_key is not None:
        cursor = tuple(after_key)
        start = next((i for i, key in enumerate(keys) if comes_after(key, cursor)), len(keys))
    page = keys[start : start + PAGE_SIZE]
    return [key[-1] for key in page], after_key is not None, start + PAGE_SIZE < len(keys)


def _page_ids(customers: QuerySet[Customer], order: list[str]) -> list[int]:
    """One page of ids (and one more, to tell whether another page follows). Ids alone
    come from the sort index, without reading the row of every customer passed."""
    return list(customers.order_by(*order).values_list("pk", flat=True)[: PAGE_SIZE + 1])


def _rows(ids: list[int]) -> list[Customer]:
    customers = Customer.objects.in_bulk(ids)
    return [customers[pk] for pk in ids]


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
