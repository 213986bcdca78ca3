"""Member lists of a segment as CSV or Excel (SEG-7, SPEC 9.1 `segment export`).

The short list has the contact columns; the full list is the customer import format
(every SPEC 9.2 column plus our id), so `regulars import customers` reads it back
unchanged. Both start with `external_id`.
Rows are streamed from the database in chunks, never all customers at once.
"""

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook

from regulars.customers.models import Customer
from regulars.imports.export import EXPORT_COLUMNS, customer_rows

SHORT_COLUMNS = ["external_id", "first_name", "last_name", "email", "mobile"]
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


def rows(members: QuerySet[Customer], full: bool) -> Iterator[list[str]]:
    """The header and one row per member: the short list in external-id order, the full
    list in the customer import format (`regulars.imports.export`)."""
    if full:
        yield list(EXPORT_COLUMNS)
        yield from customer_rows(members)
        return
    yield SHORT_COLUMNS
    ordered = members.order_by("external_id", "pk").values_list(*SHORT_COLUMNS)
    for values in ordered.iterator(chunk_size=2000):
        yield [_text(value) for value in values]


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
