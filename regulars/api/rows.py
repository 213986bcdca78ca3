"""Import rows over the API: one schema per import kind with the SPEC 9.2 field names,
checked by the same importer as files (regulars.imports), so the rules are one."""

import datetime
import json
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from regulars.imports.actions import ImportReport, import_rows
from regulars.orgs.models import Organisation


class CustomerRowIn(Schema):
    id: int | None = Field(None, description="Regulars' customer id (from an export)")
    external_id: str | None = Field(None, max_length=100)
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile: str | None = Field(None, description="any format; stored E.164")
    gender: Literal["female", "male", "unknown"] | None = None
    birth_date: datetime.date | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = Field(None, description="ISO 3166 two-letter code")
    latitude: float | None = None
    longitude: float | None = None
    created_at: datetime.datetime | None = Field(
        None, description="without offset: the organisation's local time"
    )
    groups: list[str] | None = None
    tags: list[str] | None = None
    member: bool | None = None
    email_consent: bool | None = None
    sms_consent: bool | None = None
    permissions: list[str] | None = None
    language: str | None = None


class SaleRowIn(Schema):
    receipt_id: str
    customer_external_id: str | None = None
    sold_at: datetime.datetime
    channel: Literal["pos", "adhoc"]
    item_number: str
    item_name: str | None = None
    item_group: str | None = None
    quantity: int
    unit_price: Decimal
    discount: Decimal | None = None
    amount: Decimal | None = None


class BookingRowIn(Schema):
    booking_id: str
    customer_external_id: str
    service: str
    start: datetime.datetime
    end: datetime.datetime | None = None
    status: Literal["booked", "completed", "cancelled", "no_show"]


class TicketRowIn(Schema):
    order_id: str
    customer_external_id: str | None = None
    ordered_at: datetime.datetime
    channel: Literal["online", "boxoffice"]
    production: str
    event_id: str
    event_start: datetime.datetime
    venue: str | None = None
    venue_latitude: float | None = None
    venue_longitude: float | None = None
    tickets: int
    amount: Decimal


class IndividualRowIn(Schema):
    individual_id: str
    customer_external_id: str
    kind: str
    attributes: dict[str, Any] | None = None


ROW_SCHEMAS: dict[str, type[Schema]] = {
    "customers": CustomerRowIn,
    "sales": SaleRowIn,
    "bookings": BookingRowIn,
    "tickets": TicketRowIn,
    "individuals": IndividualRowIn,
}


class ProblemDetail(Schema):
    """A 4xx answer: what was wrong, in words."""

    detail: str


class RowErrorOut(Schema):
    row: int = Field(description="index of the row in the request (0-based); -1: all rows")
    line: int = Field(description="line in a file (header = 1), or row + 2")
    column: str
    reason: str


class ReportOut(Schema):
    kind: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    failed: int
    errors: list[RowErrorOut]


class FieldErrorOut(Schema):
    loc: list[str | int]
    msg: str
    type: str | None = None


class RowsRejected(Schema):
    """422: bad rows (`errors`), or input of the wrong shape (`fields`); `detail` says
    which in words."""

    detail: str
    errors: list[RowErrorOut] = []
    fields: list[FieldErrorOut] = []


def report_out(report: ImportReport) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "dry_run": report.dry_run,
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "failed": report.failed,
        "errors": errors_out(report),
    }


def errors_out(report: ImportReport) -> list[dict[str, Any]]:
    return [
        {"row": max(e.line - 2, -1), "line": e.line, "column": e.column, "reason": e.reason}
        for e in report.errors
    ]


def rejected(report: ImportReport) -> dict[str, Any]:
    return {
        "detail": f"{report.failed} bad rows; nothing was imported",
        "errors": errors_out(report),
    }


def cells(row: Schema) -> dict[str, str]:
    """A validated API row as the text cells a file would have had."""
    return {name: _cell(value) for name, value in row.model_dump().items()}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def import_api_rows(
    *, organisation: Organisation, kind: str, rows: list[Schema], dry_run: bool
) -> ImportReport:
    return import_rows(
        organisation=organisation,
        kind=kind,
        rows=[cells(row) for row in rows],
        dry_run=dry_run,
    )
