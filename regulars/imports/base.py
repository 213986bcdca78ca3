"""The shape every import kind shares: parse a row, then check and write a chunk of rows."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from django.utils.translation import gettext_noop

from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from .report import ImportReport, Row

Parsed = TypeVar("Parsed")


@dataclass
class OwnedRow:
    """A parsed row whose data belongs to the customer with `customer_external_id`."""

    line: int
    customer_external_id: str
    data: Any

    @property
    def customer_id(self) -> int | None:
        return self.data.customer_id

    @customer_id.setter
    def customer_id(self, value: int | None) -> None:
        self.data.customer_id = value


class Importer(Generic[Parsed]):
    """One import kind (SPEC 9.2). Subclasses parse rows without touching the database,
    then resolve and write whole chunks with a handful of queries each."""

    kind: ClassVar[str]
    id_column: ClassVar[str]
    required_columns: ClassVar[tuple[str, ...]]

    def __init__(self, organisation: Organisation, report: ImportReport):
        self.organisation = organisation
        self.report = report
        self.tz = organisation.tz
        # id → line of its first row: the same id twice in one file is an error.
        self.seen: dict[Any, int] = {}

    def missing_columns(self, columns: Iterable[str]) -> list[str]:
        present = set(columns)
        return [column for column in self.required_columns if column not in present]

    def parse(self, row: Row) -> Parsed | None:
        """The row's values, or None when a cell was bad (reported on the row)."""
        raise NotImplementedError

    def resolve(self, chunk: list[Parsed]) -> None:
        """Look up what the chunk refers to in the database; report rows that refer to
        something that does not exist."""

    def write(self, chunk: list[Parsed]) -> None:
        """Store a chunk of valid rows and count them on the report."""
        raise NotImplementedError

    def check_unique(self, row: Row, key: Any, column: str) -> bool:
        first_line = self.seen.setdefault(key, row.line)
        if first_line != row.line:
            row.error(
                column,
                gettext_noop("the same %(column)s as line %(line)s"),
                column=column,
                line=first_line,
            )
            return False
        return True

    def customer_ids(self, external_ids: Iterable[str]) -> dict[str, int]:
        """external id → customer id, for the ids of one chunk."""
        wanted = set(external_ids)
        if not wanted:
            return {}
        rows = Customer.objects.filter(
            organisation=self.organisation, external_id__in=wanted
        ).order_by()  # no default ordering: SQLite would pick an index to sort by
        return {
            external_id: pk
            for external_id, pk in rows.values_list("external_id", "id")
            if external_id is not None
        }

    def match_customers(self, chunk: list[OwnedRow]) -> None:
        """Set `customer_id` from each item's `customer_external_id` (empty: no customer);
        report the rows whose customer is unknown."""
        customers = self.customer_ids(
            i.customer_external_id for i in chunk if i.customer_external_id
        )
        for item in chunk:
            if not item.customer_external_id:
                continue
            item.customer_id = customers.get(item.customer_external_id)
            if item.customer_id is None:
                self.report.add_error(
                    item.line,
                    "customer_external_id",
                    gettext_noop("no customer %(id)s"),
                    id=repr(item.customer_external_id),
                )
