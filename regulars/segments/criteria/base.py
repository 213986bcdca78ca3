"""The criterion registry: one small class per rule type, registered by its type key.

A criterion reads and checks its parameters when it is built (raising `RuleError` with the
path) and `condition()` returns a Q on Customer that is true or false for every customer,
never NULL — so `opposite` can simply negate it and get the exact complement.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import cached_property
from typing import ClassVar, TypeVar

from django.db.models import Aggregate, Model, Q, QuerySet
from django.utils.functional import Promise

from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from ..clock import Clock, Window
from ..params import Params, Period, RuleError
from ..sql import GroupedIds, SortedIds


@dataclass(frozen=True)
class Context:
    """What every criterion needs: whose customers, and at which moment."""

    organisation: Organisation
    clock: Clock

    def ids_for_names(
        self, model: type[Model], names: list[str], path: str, field: str = "name"
    ) -> list[int]:
        """Primary keys of the organisation's rows with these names; unknown names are an
        error naming the list entry."""
        found = dict(
            model._default_manager.filter(
                organisation=self.organisation, **{f"{field}__in": names}
            ).values_list(field, "pk")
        )
        for index, name in enumerate(names):
            if name not in found:
                noun = model._meta.verbose_name
                raise RuleError(f"{path}[{index}]", f"unknown {noun}: {name}")
        return list(found.values())

    def window(self, period: Period) -> Window:
        return self.clock.window(period)

    @cached_property
    def purchases_after_at(self) -> bool:
        """Whether any of the organisation's customers bought after the counting moment
        (a range of the last-purchase index). A purchase written between this probe and
        the count is counted as the totals say, as if made at `at`."""
        customers = Customer.objects.filter(organisation=self.organisation)
        return customers.filter(purchased_after(self.clock.at)).exists()


class Criterion:
    """One rule type. Subclasses set `type`, `label`, `parse()` and `condition()`."""

    type: ClassVar[str]
    label: ClassVar[str | Promise]
    # The parameters the dashboard offers, in order, for its form (name -> kind).
    parameters: ClassVar[dict[str, str]] = {}

    def __init__(self, context: Context, params: Params) -> None:
        self.context = context
        self.organisation = context.organisation
        self.clock = context.clock
        self.parse(params)
        params.finish()

    def parse(self, params: Params) -> None:
        """Read and check the parameters (nothing by default)."""

    def condition(self) -> Q:
        raise NotImplementedError

    # Criteria of one `merge_key` met together in an "all" group can be asked at once:
    # `all_of` gives the customers matching every one of them (e.g. one GROUP BY).
    merge_key: ClassVar[str | None] = None

    @classmethod
    def all_of(cls, criteria: "list[Criterion]") -> Q:
        raise NotImplementedError


CRITERIA: dict[str, type[Criterion]] = {}
C = TypeVar("C", bound=type[Criterion])


def register(cls: C) -> C:
    CRITERIA[cls.type] = cls
    return cls


def owners(rows: QuerySet, column: str = "customer_id") -> Q:
    """Customers whose id is in `column` of `rows`: `id IN (subquery)` on both engines.

    SQLite runs it once into a temporary index; PostgreSQL hashes the ids (work_mem is
    raised in settings so they fit) or semi-joins. A correlated EXISTS was slower on
    PostgreSQL: its estimated cost (of the per-customer plan it did not pick) switched
    on JIT compilation, which took longer than the query itself.
    """
    return Q(pk__in=SortedIds(rows.values(column)))


def customers_in(rows: QuerySet) -> Q:
    """Customers who own at least one of `rows` (any model with a customer column)."""
    return owners(rows.filter(customer__isnull=False).order_by())


def summarised(context: Context, totals: Q, rows: Q) -> Q:
    """Customers for whom `totals` holds when all their purchases are at or before `at`,
    else `rows`.

    `totals` tests the purchase-total columns of Customer (regulars.commerce.totals),
    which cover every purchase; they are exact for customers with none after `at`.
    `rows` is the same test computed from the sale lines or tickets up to `at`; it is
    asked only for customers with a purchase after `at`, and left out of the query when
    the organisation has none (always, for a count made now).
    """
    if not context.purchases_after_at:
        return totals
    after = purchased_after(context.clock.at)
    return (~after & totals) | (after & rows)


def purchased_after(at: datetime.datetime) -> Q:
    """Customers with a purchase after `at`, for whom the purchase totals say too much."""
    # IS NOT NULL: without it this is NULL for customers without purchases, and both
    # engines then evaluate what it is combined with to tell NULL from false.
    return Q(last_purchase_at__isnull=False) & Q(last_purchase_at__gt=at)


def column_between(column: str, low: int | None, high: int | None) -> Q:
    """A purchase-total column in [low, high] (None: open end)."""
    condition = Q()
    if low is not None:
        condition &= Q(**{f"{column}__gte": low})
    if high is not None:
        condition &= Q(**{f"{column}__lte": high})
    return condition


def cents_bounds(low: Decimal | None, high: Decimal | None) -> tuple[int | None, int | None]:
    """Currency-unit bounds as whole cents that keep exactly the same sums inside."""
    low_cents = None if low is None else int((low * 100).to_integral_value(ROUND_CEILING))
    high_cents = None if high is None else int((high * 100).to_integral_value(ROUND_FLOOR))
    return low_cents, high_cents


@dataclass(frozen=True)
class TotalRange:
    """A per-customer total and the inclusive range it must lie in (None: open end)."""

    total: Aggregate
    low: int | None
    high: int | None

    @property
    def unbounded(self) -> bool:
        return self.low is None and self.high is None

    @property
    def empty(self) -> bool:
        return self.low is not None and self.high is not None and self.low > self.high

    @property
    def holds_zero(self) -> bool:
        return (self.low is None or self.low <= 0) and (self.high is None or self.high >= 0)


def total_between(rows: QuerySet, total: Aggregate, low: int | None, high: int | None) -> Q:
    """Customers whose `total` over their `rows` lies in [low, high]; no rows counts as 0."""
    return totals_between(rows, [TotalRange(total, low, high)])


def totals_between(rows: QuerySet, ranges: list[TotalRange]) -> Q:
    """Customers whose totals over their `rows` all lie in their ranges; no rows counts
    as 0 for every total.

    One GROUP BY computes every total: when 0 is inside all ranges, the customers with a
    total *outside* are removed (so customers without rows stay in); otherwise those with
    all totals inside are taken.
    """
    if any(bounds.empty for bounds in ranges):
        return Q(pk__in=[])
    ranges = [bounds for bounds in ranges if not bounds.unbounded]
    if not ranges:
        return ~Q(pk__in=[])
    inside = Q()
    for index, bounds in enumerate(ranges):
        inside &= column_between(f"total_{index}", bounds.low, bounds.high)
    totals = (
        rows.filter(customer__isnull=False)
        .order_by()
        .values("customer_id")
        .annotate(**{f"total_{index}": bounds.total for index, bounds in enumerate(ranges)})
    )
    if all(bounds.holds_zero for bounds in ranges):
        return ~owners(totals.exclude(inside))
    # One row per customer: small enough for PostgreSQL to hash, and a semi-join at the
    # top level, where a correlated form would aggregate once per customer.
    return Q(pk__in=GroupedIds(totals.filter(inside).values("customer_id")))
