"""Member lists of a segment as CSV or Excel (SEG-7, SPEC 9.1 `segment export`).

The short list has the contact columns; the full list has every SPEC 9.2 customer column
so `regulars import customers` reads it back unchanged. Both start with `external_id`.
Rows are streamed from the database in chunks, never all customers at once.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook

from regulars.customers.models import Customer

SHORT_COLUMNS = ["external_id", "first_name", "last_name", "email", "mobile"]
FULL_COLUMNS = [
    "external_id",
    "first_name",
    "last_name",
    "email",
    "mobile",
    "gender",
    "birth_date",
    "address",
    "postcode",
    "city",
    "country",
    "latitude",
    "longitude",
    "created_at",
    "groups",
    "tags",
    "member",
    "email_consent",
    "sms_consent",
    "permissions",
    "language",
]
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _names(related: Iterable[Any]) -> str:
    return ";".join(sorted(row.name for row in related))


def full_row(customer: Customer) -> list[str]:
    """One customer in the SPEC 9.2 import format."""
    values = {column: getattr(customer, column, None) for column in FULL_COLUMNS}
    values["groups"] = _names(customer.groups.all())
    values["tags"] = _names(customer.tags.all())
    values["permissions"] = _names(customer.permissions.all())
    return [_text(values[column]) for column in FULL_COLUMNS]


def rows(members: QuerySet[Customer], full: bool) -> Iterator[list[str]]:
    """The header and one row per member, in external-id order."""
    ordered = members.order_by("external_id", "pk")
    if not full:
        yield SHORT_COLUMNS
        for values in ordered.values_list(*SHORT_COLUMNS).iterator(chunk_size=2000):
            yield [_text(value) for value in values]
        return
    yield FULL_COLUMNS
    related = ordered.prefetch_related("groups", "tags", "permissions")
    for customer in related.iterator(chunk_size=2000):
        yield full_row(customer)


def export_members(members: QuerySet[Customer], file_format: str, full: bool = False) -> bytes:
    """The member list as a CSV (UTF-8) or xlsx file."""
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows(members, full):
            writer.writerow(row)
        return buffer.getvalue().encode()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("customers")
    for row in rows(members, full):
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
