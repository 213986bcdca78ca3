"""Import API (DATA-5, DATA-8): sales, bookings, ticket orders and individuals one at a
time or in batches, and CSV / .xlsx files of any kind (SPEC 9.2). All or nothing: a bad
row answers 422 with every bad row, and nothing is written."""

from typing import Literal, get_args

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from regulars.imports.actions import KINDS, TableError, import_file

from .rows import (
    BookingRowIn,
    IndividualRowIn,
    ProblemDetail,
    ReportOut,
    RowsRejected,
    SaleRowIn,
    TicketRowIn,
    import_api_rows,
    rejected,
    report_out,
)

router = Router(tags=["imports"])

MAX_BATCH = 10_000
MAX_FILE_BYTES = 200 * 1024 * 1024


ImportKind = Literal["customers", "sales", "bookings", "tickets", "individuals"]
assert set(get_args(ImportKind)) == set(KINDS)

RESPONSES = {200: ReportOut, 401: ProblemDetail, 422: RowsRejected}


def _run(request: HttpRequest, kind: str, rows: list, dry_run: bool):
    report = import_api_rows(
        organisation=request.organisation,  # type: ignore[attr-defined]
        kind=kind,
        rows=rows,
        dry_run=dry_run,
    )
    if not report.ok:
        return Status(422, rejected(report))
    return report_out(report)


class SaleBatchIn(Schema):
    rows: list[SaleRowIn] = Field(max_length=MAX_BATCH)
    dry_run: bool = False


class BookingBatchIn(Schema):
    rows: list[BookingRowIn] = Field(max_length=MAX_BATCH)
    dry_run: bool = False


class TicketBatchIn(Schema):
    rows: list[TicketRowIn] = Field(max_length=MAX_BATCH)
    dry_run: bool = False


class IndividualBatchIn(Schema):
    rows: list[IndividualRowIn] = Field(max_length=MAX_BATCH)
    dry_run: bool = False


@router.post("/sales", response=RESPONSES, summary="Create or replace one sale line's receipt")
def upsert_sale(request: HttpRequest, row: SaleRowIn):
    """One line; a receipt of several lines is sent as a batch (it replaces the receipt)."""
    return _run(request, "sales", [row], dry_run=False)


@router.post("/sales/batch", response=RESPONSES, summary="Import sale lines")
def upsert_sales(request: HttpRequest, batch: SaleBatchIn):
    return _run(request, "sales", list(batch.rows), batch.dry_run)


@router.post("/bookings", response=RESPONSES, summary="Create or update one booking")
def upsert_booking(request: HttpRequest, row: BookingRowIn):
    return _run(request, "bookings", [row], dry_run=False)


@router.post("/bookings/batch", response=RESPONSES, summary="Import bookings")
def upsert_bookings(request: HttpRequest, batch: BookingBatchIn):
    return _run(request, "bookings", list(batch.rows), batch.dry_run)


@router.post("/tickets", response=RESPONSES, summary="Create or replace one ticket order")
def upsert_ticket_order(request: HttpRequest, row: TicketRowIn):
    return _run(request, "tickets", [row], dry_run=False)


@router.post("/tickets/batch", response=RESPONSES, summary="Import ticket orders")
def upsert_ticket_orders(request: HttpRequest, batch: TicketBatchIn):
    return _run(request, "tickets", list(batch.rows), batch.dry_run)


@router.post("/individuals", response=RESPONSES, summary="Create or update one individual")
def upsert_individual(request: HttpRequest, row: IndividualRowIn):
    return _run(request, "individuals", [row], dry_run=False)


@router.post("/individuals/batch", response=RESPONSES, summary="Import individuals")
def upsert_individuals(request: HttpRequest, batch: IndividualBatchIn):
    return _run(request, "individuals", list(batch.rows), batch.dry_run)


@router.post(
    "/files/{kind}",
    response={200: ReportOut, 400: ProblemDetail, 401: ProblemDetail, 422: RowsRejected},
    summary="Import a CSV or .xlsx file",
    description="Kinds: " + ", ".join(KINDS) + ". 400 when the file is not a readable table.",
)
def import_uploaded_file(
    request: HttpRequest,
    kind: ImportKind,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
):
    if kind not in KINDS:
        return Status(400, {"detail": f"unknown kind {kind!r}"})
    if file.size and file.size > MAX_FILE_BYTES:
        return Status(400, {"detail": "file too large"})
    try:
        report = import_file(
            organisation=request.organisation,  # type: ignore[attr-defined]
            kind=kind,
            file=file.file,
            filename=file.name or "",
            dry_run=dry_run,
        )
    except TableError as exc:
        return Status(400, {"detail": str(exc)})
    if not report.ok:
        return Status(422, rejected(report))
    return report_out(report)
