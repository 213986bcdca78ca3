"""What an import did, or why it did nothing: counts and every bad row."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .cells import CellError

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    """Line 1 is the header row, so the first data row is line 2."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


@dataclass
class ImportReport:
    kind: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Number of bad rows (a row can have several bad cells)."""
        return len({error.line for error in self.errors if error.line > 1})

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, line: int, column: str, reason: str) -> None:
        self.errors.append(RowError(line, column, reason))

    def summary(self) -> str:
        verb = "would be " if self.dry_run and self.ok else ""
        return (
            f"{self.kind}: {self.rows} rows; {verb}created {self.created}, "
            f"{verb}updated {self.updated}, unchanged {self.unchanged}, failed {self.failed}"
        )


class Row:
    """One import row and its line number; bad cells are reported, never raised."""

    def __init__(self, line: int, cells: dict[str, Any], report: ImportReport):
        self.line = line
        self.cells = cells
        self.report = report
        self.ok = True

    def text(self, column: str) -> str:
        value = self.cells.get(column)
        return "" if value is None else str(value).strip()

    def value(
        self, column: str, parse: Callable[..., T], *args: Any, required: bool = False
    ) -> T | None:
        """The parsed cell, or None when empty (unknown) or bad (then reported)."""
        text = self.text(column)
        if not text:
            if required:
                self.error(column, "required")
            return None
        if "\x00" in text or not text.isprintable() and not _encodes(text):
            self.error(column, "not valid text (NUL or unpaired surrogate characters)")
            return None
        try:
            return parse(text, *args)
        except CellError as exc:
            self.error(column, str(exc))
            return None

    def error(self, column: str, reason: str) -> None:
        self.ok = False
        self.report.add_error(self.line, column, reason)


def _encodes(text: str) -> bool:
    """Databases store UTF-8: lone surrogates (possible in JSON input) are not text."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
