"""What an import did, or why it did nothing: counts and every bad row."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.utils.translation import gettext, gettext_noop

from .cells import CellError

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    """Line 1 is the header row, so the first data row is line 2. The reason is kept as
    its English text with %(name)s holes and their values, and translated when shown."""

    line: int
    column: str
    message: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def reason(self) -> str:
        text = gettext(self.message)
        return text % dict(self.params) if self.params else text

    def __str__(self) -> str:
        return gettext("line %(line)s, %(column)s: %(reason)s") % {
            "line": self.line,
            "column": self.column,
            "reason": self.reason,
        }

    def to_list(self) -> list[Any]:
        return [self.line, self.column, self.message, dict(self.params)]

    @classmethod
    def from_list(cls, stored: list[Any]) -> "RowError":
        line, column, message, params = stored
        return cls(line, column, message, tuple(params.items()))


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

    def add_error(self, line: int, column: str, message: str, /, **params: Any) -> None:
        self.errors.append(RowError(line, column, message, tuple(params.items())))

    def summary(self) -> str:
        verb = "would be " if self.dry_run and self.ok else ""
        return (
            f"{self.kind}: {self.rows} rows; {verb}created {self.created}, "
            f"{verb}updated {self.updated}, unchanged {self.unchanged}, failed {self.failed}"
        )

    def to_dict(self, max_errors: int) -> dict[str, Any]:
        """For storing: the counts and the first `max_errors` errors."""
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "error_count": len(self.errors),
            "errors": [error.to_list() for error in self.errors[:max_errors]],
        }


@dataclass
class StoredReport:
    """An ImportReport read back from storage (its errors may be cut short)."""

    kind: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    failed: int
    error_count: int
    errors: list[RowError]

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> "StoredReport":
        errors = [RowError.from_list(error) for error in stored["errors"]]
        return cls(**{**stored, "errors": errors})

    @property
    def ok(self) -> bool:
        return not self.error_count

    @property
    def more_errors(self) -> int:
        return self.error_count - len(self.errors)


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
                self.error(column, gettext_noop("required"))
            return None
        if "\x00" in text or not text.isprintable() and not _encodes(text):
            self.error(
                column, gettext_noop("not valid text (NUL or unpaired surrogate characters)")
            )
            return None
        try:
            return parse(text, *args)
        except CellError as exc:
            self.error(column, exc.message, **exc.params)
            return None

    def error(self, column: str, message: str, /, **params: Any) -> None:
        self.ok = False
        self.report.add_error(self.line, column, message, **params)


def _encodes(text: str) -> bool:
    """Databases store UTF-8: lone surrogates (possible in JSON input) are not text."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
