"""Reading import files: CSV (UTF-8, comma, header row) and Excel .xlsx (SPEC 9.2).

Rows come out as dicts keyed by the header, every value a string ("" for an empty cell),
so the importer sees one shape whatever the file format was. Blank rows are kept (as
all-empty dicts) so that the n-th row is still line n + 1 of the file.
"""

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext, gettext_noop

XLSX_MAGIC = b"PK\x03\x04"


class TableError(ValueError):
    """The file cannot be read as an import table (wrong format, not UTF-8, no header).
    Like a row error, the reason is English text with %(name)s holes and their values,
    translated when shown."""

    def __init__(self, message: str, /, **params: Any):
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return gettext(self.message) % self.params


def read_table(path_or_file: str | Path | IO[bytes], filename: str = "") -> list[dict[str, str]]:
    """All rows of a CSV or .xlsx file as header → text dicts. Raises TableError."""
    return list(iter_table(path_or_file, filename))


def count_rows(path_or_file: str | Path, filename: str = "") -> int:
    """How many rows (blank ones too) follow the header. Raises TableError."""
    return sum(1 for _ in iter_table(path_or_file, filename))


def iter_table(
    path_or_file: str | Path | IO[bytes], filename: str = ""
) -> Iterator[dict[str, str]]:
    """Stream the rows of a CSV or .xlsx file; the format is told by name and content."""
    if isinstance(path_or_file, str | Path):
        filename = filename or str(path_or_file)
        try:
            with open(path_or_file, "rb") as handle:
                yield from _iter_open_table(handle, filename)
        except FileNotFoundError as exc:
            raise TableError(gettext_noop("%(file)s: no such file"), file=path_or_file) from exc
        except IsADirectoryError as exc:
            raise TableError(
                gettext_noop("%(file)s: is a directory, not a file"), file=path_or_file
            ) from exc
    else:
        yield from _iter_open_table(path_or_file, filename)


def _iter_open_table(handle: IO[bytes], filename: str) -> Iterator[dict[str, str]]:
    start = handle.read(4)
    handle.seek(0)
    suffix = Path(filename).suffix.lower()
    if start == XLSX_MAGIC or suffix == ".xlsx":
        if start != XLSX_MAGIC:
            raise TableError(gettext_noop("%(file)s: not an Excel .xlsx file"), file=filename)
        yield from _iter_xlsx(handle, filename)
    elif suffix in {".csv", ".txt", ""}:
        yield from _iter_csv(handle, filename)
    else:
        raise TableError(gettext_noop("%(file)s: not a CSV or .xlsx file"), file=filename)


def _iter_csv(handle: IO[bytes], filename: str) -> Iterator[dict[str, str]]:
    text = codecs.getreader("utf-8-sig")(handle)
    try:
        reader = csv.reader(text, strict=True)
        header = next(reader, None)
        if header is None:
            raise TableError(gettext_noop("%(file)s: the file is empty"), file=filename)
        _check_header(header, filename)
        keys = [name.strip() for name in header]
        for cells in reader:
            yield _row(keys, cells)
    except UnicodeDecodeError as exc:
        raise TableError(gettext_noop("%(file)s: not a UTF-8 text file"), file=filename) from exc
    except csv.Error as exc:
        raise TableError(
            gettext_noop("%(file)s: not a valid CSV file (%(problem)s)"), file=filename, problem=exc
        ) from exc


def _iter_xlsx(handle: IO[bytes], filename: str) -> Iterator[dict[str, str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(handle.read()), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(
            gettext_noop("%(file)s: not a readable Excel .xlsx file"), file=filename
        ) from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise TableError(gettext_noop("%(file)s: the first sheet is empty"), file=filename)
        keys = [_cell_text(value).strip() for value in header]
        _check_header(keys, filename)
        for values in rows:
            yield _row(keys, [_cell_text(value) for value in values])
    finally:
        workbook.close()


def _check_header(header: list[str], filename: str) -> None:
    if not any(name.strip() for name in header):
        raise TableError(
            gettext_noop("%(file)s: the first row must name the columns"), file=filename
        )


def _row(keys: list[str], cells: list[str]) -> dict[str, str]:
    row = {key: "" for key in keys if key}
    for key, cell in zip(keys, cells, strict=False):
        if key:
            row[key] = cell.strip()
    return row


def _cell_text(value: Any) -> str:
    """Excel cells carry types; the importer wants the text a CSV would have had."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        # Excel has no date type: a date cell reads as midnight.
        if value.time() == datetime.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
