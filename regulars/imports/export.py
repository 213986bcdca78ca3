"""Customer lists "with all customer data" in the customer import format (DATA-5).

The file has every SPEC 9.2 customer column (external_id first) plus `id`, Regulars' own
customer id, so that a list can be edited in a spreadsheet and imported back: importing
an unedited export changes nothing.
"""

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from django.db.models import QuerySet

from regulars.customers.models import Customer

from .customers import CUSTOMER_COLUMNS

EXPORT_COLUMNS = (*CUSTOMER_COLUMNS, "id")
CHUNK = 2000


def write_customers(
    queryset: QuerySet[Customer], fmt: str = "csv", out: IO[Any] | None = None
) -> Any:
    """Write the customers to `out` (text for csv, binary for xlsx; a new buffer when None)
    and return `out`."""
    if fmt == "csv":
        out = out if out is not None else io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(customer_rows(queryset))
        return out
    if fmt == "xlsx":
        out = out if out is not None else io.BytesIO()
        _write_xlsx(queryset, out)
        return out
    raise ValueError(f"unknown export format {fmt!r}; expected csv or xlsx")


def _write_xlsx(queryset: QuerySet[Customer], out: IO[bytes]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("customers")
    sheet.append(list(EXPORT_COLUMNS))
    for row in customer_rows(queryset):
        # Text cells only: what is exported is exactly what is imported, and a name
        # starting with "=" stays a name, not a formula.
        cells: list[Any] = []
        for value in row:
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith("="):
                cell = WriteOnlyCell(sheet, value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(out)


def customer_rows(queryset: QuerySet[Customer]) -> Iterator[list[str]]:
    """One row of text cells per customer, streamed in chunks (memory stays flat)."""
    customers = (
        queryset.select_related("organisation")
        .prefetch_related("groups", "tags", "permissions")
        .order_by("pk")
    )
    for customer in customers.iterator(chunk_size=CHUNK):
        yield _row(customer)


def _row(customer: Customer) -> list[str]:
    tz = customer.organisation.tz
    values: dict[str, Any] = {
        "external_id": customer.external_id or "",
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "mobile": customer.mobile,
        "gender": customer.gender,
        "birth_date": customer.birth_date.isoformat() if customer.birth_date else "",
        "address": customer.address,
        "postcode": customer.postcode,
        "city": customer.city,
        "country": customer.country,
        "latitude": _number(customer.latitude),
        "longitude": _number(customer.longitude),
        "created_at": customer.created_at.astimezone(tz).isoformat(),
        "groups": ";".join(sorted(g.name for g in customer.groups.all())),
        "tags": ";".join(sorted(t.name for t in customer.tags.all())),
        "member": _bool(customer.member),
        "email_consent": _bool(customer.email_consent),
        "sms_consent": _bool(customer.sms_consent),
        "permissions": ";".join(sorted(p.name for p in customer.permissions.all())),
        "language": customer.language,
        "id": str(customer.pk),
    }
    return [values[column] for column in EXPORT_COLUMNS]


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)
