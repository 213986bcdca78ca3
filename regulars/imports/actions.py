"""Import customers, sales, bookings, tickets and individuals (DATA-5, SPEC 9.2).

All or nothing: every row is checked; rows are written chunk by chunk inside one
transaction, and any bad row (or a dry run) rolls the whole import back, so that the
report of a dry run counts exactly what a real run would do.
"""

import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from regulars.orgs.models import Organisation

from .base import Importer
from .bookings import BookingImporter, IndividualImporter
from .customers import CustomerImporter
from .report import ImportReport, Row, RowError
from .sales import SaleImporter
from .tables import TableError, iter_table, read_table
from .tickets import TicketImporter

__all__ = [
    "KINDS",
    "ImportReport",
    "RowError",
    "TableError",
    "import_file",
    "import_rows",
    "iter_table",
    "read_table",
]

IMPORTERS: dict[str, type[Importer[Any]]] = {
    importer.kind: importer
    for importer in (
        CustomerImporter,
        SaleImporter,
        BookingImporter,
        TicketImporter,
        IndividualImporter,
    )
}
KINDS = tuple(IMPORTERS)
CHUNK_ROWS = 2000


def import_rows(
    *,
    organisation: Organisation,
    kind: str,
    rows: Iterable[Mapping[str, Any]],
    dry_run: bool = False,
    chunk_rows: int | None = None,
    on_progress: Callable[[int], object] | None = None,
) -> ImportReport:
    """Import rows keyed by the SPEC 9.2 headers (row n is line n + 1 of its file).

    Writes everything or nothing; the report has the counts and every bad row.
    `on_progress` hears how many rows (blank ones too) were read after each chunk."""
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}")
    report = ImportReport(kind=kind, dry_run=dry_run)
    importer = IMPORTERS[kind](organisation, report)
    numbered = enumerate(rows, start=2)
    first = next(numbered, None)
    if first is None:
        return report
    missing = importer.missing_columns(first[1].keys())
    for column in missing:
        report.add_error(1, column, gettext_noop("missing required column"))
    if missing:
        return report
    with transaction.atomic():
        for chunk in _batched(itertools.chain([first], numbered), chunk_rows or CHUNK_ROWS):
            _import_chunk(importer, report, chunk)
            if on_progress:
                on_progress(chunk[-1][0] - 1)
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    if not report.ok:
        report.created = report.updated = report.unchanged = 0
    return report


def _batched(items: Iterable[Any], size: int) -> Iterable[tuple[Any, ...]]:
    iterator = iter(items)
    while chunk := tuple(itertools.islice(iterator, size)):
        yield chunk


def _import_chunk(
    importer: Importer[Any], report: ImportReport, chunk: tuple[tuple[int, Mapping], ...]
) -> None:
    parsed = []
    for line, cells in chunk:
        if not any(str(value).strip() for value in cells.values() if value is not None):
            continue  # blank rows (spreadsheets end with some) are not rows
        report.rows += 1
        item = importer.parse(Row(line, dict(cells), report))
        if item is not None:
            parsed.append(item)
    importer.resolve(parsed)
    # After the first bad row nothing more is written, but every row is still checked.
    if report.ok and parsed:
        importer.write(parsed)


def import_file(
    *,
    organisation: Organisation,
    kind: str,
    file: Any,
    filename: str = "",
    dry_run: bool = False,
    on_progress: Callable[[int], object] | None = None,
) -> ImportReport:
    """Import a CSV or .xlsx file (a path or an open binary file). Raises TableError."""
    return import_rows(
        organisation=organisation,
        kind=kind,
        rows=iter_table(file, filename),
        dry_run=dry_run,
        on_progress=on_progress,
    )
