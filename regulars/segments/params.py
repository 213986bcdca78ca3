"""Reading a criterion's parameters out of rule JSON, with errors that name the path.

Every problem with a rule tree becomes a `RuleError` whose message starts with the path
of the offending value (`criteria[2].period.from: not a date`), so the CLI, the API and
the dashboard can all show it as it is.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


class RuleError(ValueError):
    """A rule tree that cannot be evaluated; the message names the path of the problem."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Period:
    """A period as written in the rules, before it is placed on the clock."""

    first_day: datetime.date | None = None
    last_day: datetime.date | None = None
    last_days: int | None = None
    next_days: int | None = None


class Params:
    """The parameters of one criterion, read with type checks.

    Keys that are read are remembered so `finish()` can refuse unknown ones (a typo in a
    parameter name must not silently widen a segment).
    """

    def __init__(self, data: dict[str, Any], path: str, ignored: Iterable[str] = ()) -> None:
        self.data = data
        self.path = path
        self.seen: set[str] = set(ignored)

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def _get(self, key: str, required: bool) -> Any:
        self.seen.add(key)
        value = self.data.get(key)
        if value is None and required:
            raise RuleError(self.at(key), "missing")
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            raise RuleError(self.at(unknown[0]), "unknown parameter")

    def integer(self, key: str, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self._get(key, required=True)
        return check_int(value, self.at(key), minimum, maximum)

    def optional_integer(self, key: str, minimum: int | None = None) -> int | None:
        value = self._get(key, required=False)
        return None if value is None else check_int(value, self.at(key), minimum, None)

    def number(self, key: str, minimum: float | None = None) -> Decimal:
        value = self._get(key, required=True)
        return check_number(value, self.at(key), minimum)

    def optional_number(self, key: str) -> Decimal | None:
        value = self._get(key, required=False)
        return None if value is None else check_number(value, self.at(key), None)

    def choice(self, key: str, choices: Iterable[str], default: str | None = None) -> str:
        value = self._get(key, required=default is None)
        if value is None:
            return default  # type: ignore[return-value]
        options = list(choices)
        if value not in options:
            raise RuleError(self.at(key), f"must be one of {', '.join(options)}")
        return value

    def text(self, key: str) -> str:
        value = self._get(key, required=True)
        if not isinstance(value, str) or not value.strip():
            raise RuleError(self.at(key), "not a text")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self._get(key, required=False)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise RuleError(self.at(key), "not a text")
        return value

    def raw(self, key: str) -> Any:
        return self._get(key, required=True)

    def texts(self, key: str, required: bool = True) -> list[str]:
        """A non-empty list of texts (numbers are accepted and read as text)."""
        value = self._get(key, required=required)
        if value is None:
            return []
        if not isinstance(value, list) or not value:
            raise RuleError(self.at(key), "not a non-empty list")
        for index, entry in enumerate(value):
            if not (isinstance(entry, str) and entry.strip()) and not is_int(entry):
                raise RuleError(f"{self.at(key)}[{index}]", "not a text")
        return [str(entry) for entry in value]

    def period(self, key: str, required: bool = True) -> Period | None:
        value = self._get(key, required=required)
        return None if value is None else parse_period(value, self.at(key))


def check_int(value: Any, path: str, minimum: int | None, maximum: int | None) -> int:
    if not is_int(value):
        raise RuleError(path, "not a whole number")
    if minimum is not None and value < minimum:
        raise RuleError(path, f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise RuleError(path, f"must be at most {maximum}")
    return value


def check_number(value: Any, path: str, minimum: float | None) -> Decimal:
    if not is_number(value):
        raise RuleError(path, "not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise RuleError(path, "not a number") from error
    if not number.is_finite():
        raise RuleError(path, "not a number")
    if minimum is not None and number < minimum:
        raise RuleError(path, f"must be at least {minimum}")
    return number


def parse_date(value: Any, path: str) -> datetime.date:
    if not isinstance(value, str):
        raise RuleError(path, "not a date")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise RuleError(path, "not a date") from error


# Ten years either way is more than any campaign asks for and keeps arithmetic on dates safe.
MAX_DAYS = 3660


def parse_period(value: Any, path: str) -> Period:
    if not isinstance(value, dict):
        raise RuleError(path, "not a period")
    keys = set(value)
    if keys == {"from", "to"}:
        first = parse_date(value["from"], f"{path}.from")
        last = parse_date(value["to"], f"{path}.to")
        if first > last:
            raise RuleError(f"{path}.to", "before from")
        return Period(first_day=first, last_day=last)
    if keys == {"last_days"}:
        return Period(last_days=check_int(value["last_days"], f"{path}.last_days", 0, MAX_DAYS))
    if keys == {"next_days"}:
        return Period(next_days=check_int(value["next_days"], f"{path}.next_days", 0, MAX_DAYS))
    raise RuleError(path, "needs from and to, or last_days, or next_days")


def check_range(low: Any, high: Any, path: str) -> None:
    if low is not None and high is not None and low > high:
        raise RuleError(path, "range is inverted (from/min is above to/max)")
