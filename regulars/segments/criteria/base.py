"""The criterion registry: one small class per rule type, registered by its type key.

A criterion reads and checks its parameters when it is built (raising `RuleError` with the
path) and `condition()` returns a Q on Customer that is true or false for every customer,
never NULL — so `opposite` can simply negate it and get the exact complement.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import ClassVar, TypeVar

from django.db.models import Aggregate, Model, Q, QuerySet
from django.utils.functional import Promise

from regulars.orgs.models import Organisation

from ..clock import Clock, Window
from ..params import Params, Period, RuleError


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
    return Q(pk__in=rows.values(column))


def customers_in(rows: QuerySet) -> Q:
    """Customers who own at least one of `rows` (any model with a customer column)."""
    return owners(rows.filter(customer__isnull=False).order_by())


def cents_bounds(low: Decimal | None, high: Decimal | None) -> tuple[int | None, int | None]:
    """Currency-unit bounds as whole cents that keep exactly the same sums inside."""
    low_cents = None if low is None else int((low * 100).to_integral_value(ROUND_CEILING))
    high_cents = None if high is None else int((high * 100).to_integral_value(ROUND_FLOOR))
    return low_cents, high_cents


def total_between(rows: QuerySet, total: Aggregate, low: int | None, high: int | None) -> Q:
    """Customers whose `total` over their `rows` lies in [low, high]; no rows counts as 0.

    Both forms are one GROUP BY: when 0 is inside the range, the customers *outside* are
    removed (so customers without rows stay in); otherwise those inside are taken.
    """
    if low is None and high is None:
        return ~Q(pk__in=[])
    if low is not None and high is not None and low > high:
        return Q(pk__in=[])
    inside = Q()
    if low is not None:
        inside &= Q(total__gte=low)
    if high is not None:
        inside &= Q(total__lte=high)
    totals = (
        rows.filter(customer__isnull=False).order_by().values("customer_id").annotate(total=total)
    )
    zero_inside = (low is None or low <= 0) and (high is None or high >= 0)
    if zero_inside:
        return ~owners(totals.exclude(inside))
    # One row per customer: small enough for PostgreSQL to hash, and a semi-join at the
    # top level, where a correlated form would aggregate once per customer.
    return Q(pk__in=totals.filter(inside).values("customer_id"))
