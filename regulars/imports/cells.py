"""Turning one cell of an import row into a value, or a reason why it is not one.

Every parser takes the cell's text (never empty: callers treat "" as unknown first) and
returns the value or raises CellError with a reason a shop owner can act on.
"""

import datetime
import json
import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_noop


class CellError(ValueError):
    """The reason one cell is not acceptable: English text with %(name)s holes (marked
    for translation with gettext_noop) and their values."""

    def __init__(self, message: str, /, **params: Any):
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


TRUE_WORDS = {"true", "1", "yes", "ja", "y", "x"}
FALSE_WORDS = {"false", "0", "no", "nej", "nei", "n"}
_MONEY_GROUPING = re.compile(r"[\s'_]")


def parse_email(text: str) -> str:
    address = text.strip()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise CellError(
            gettext_noop("not a valid e-mail address: %(value)s"), value=repr(text)
        ) from exc
    # Lower case throughout, so that one person is one address when matching customers.
    return address.lower()


def parse_phone(text: str, region: str) -> str:
    """E.164; a number without a country code is read in the organisation's country."""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException as exc:
        raise CellError(gettext_noop("not a phone number: %(value)s"), value=repr(text)) from exc
    if not phonenumbers.is_possible_number(number):
        raise CellError(gettext_noop("not a possible phone number: %(value)s"), value=repr(text))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise CellError(
            gettext_noop("not a date (YYYY-MM-DD): %(value)s"), value=repr(text)
        ) from exc


def parse_datetime(text: str, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """ISO-8601; without an offset it is local time in `tz`, and in the repeated hour of a
    DST change the first occurrence (fold=0) — SPEC 9.2."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CellError(
            gettext_noop("not an ISO-8601 date and time: %(value)s"), value=repr(text)
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz, fold=0)
    try:
        moment.astimezone(datetime.UTC)
    except OverflowError as exc:
        raise CellError(gettext_noop("out of range: %(value)s"), value=repr(text)) from exc
    return moment


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(gettext_noop("not true or false: %(value)s"), value=repr(text))


def parse_choice(text: str, choices: list[str]) -> str:
    word = text.strip().lower()
    if word not in choices:
        raise CellError(
            gettext_noop("%(value)s is not one of %(choices)s"),
            value=repr(text),
            choices=", ".join(choices),
        )
    return word


def parse_cents(text: str) -> int:
    """Money in minor units: "129.50", "129,50", "1.234,50" and "1,234.50" all work."""
    cleaned = _MONEY_GROUPING.sub("", text)
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        cleaned = cleaned.replace(grouping, "").replace(decimal_mark, ".")
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise CellError(gettext_noop("not an amount: %(value)s"), value=repr(text)) from exc
    if not amount.is_finite():
        raise CellError(gettext_noop("not an amount: %(value)s"), value=repr(text))
    if abs(amount) >= Decimal(10) ** 15:
        raise CellError(gettext_noop("amount too large: %(value)s"), value=repr(text))
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(
            gettext_noop("not an amount with at most two decimals: %(value)s"), value=repr(text)
        )
    return int(amount * 100)


def parse_int(text: str, minimum: int | None = None) -> int:
    try:
        number = int(text.strip())
    except ValueError as exc:
        raise CellError(gettext_noop("not a whole number: %(value)s"), value=repr(text)) from exc
    if minimum is not None and number < minimum:
        raise CellError(
            gettext_noop("must be at least %(minimum)s: %(value)s"),
            minimum=minimum,
            value=repr(text),
        )
    if abs(number) >= 2**31:
        raise CellError(gettext_noop("number too large: %(value)s"), value=repr(text))
    return number


def parse_float(text: str, low: float, high: float) -> float:
    try:
        number = float(text.strip().replace(",", "."))
    except ValueError as exc:
        raise CellError(gettext_noop("not a number: %(value)s"), value=repr(text)) from exc
    if not low <= number <= high:
        raise CellError(
            gettext_noop("must be between %(low)s and %(high)s: %(value)s"),
            low=f"{low:g}",
            high=f"{high:g}",
            value=repr(text),
        )
    return number


def parse_json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CellError(gettext_noop("not valid JSON: %(problem)s"), problem=str(exc)) from exc
    if not isinstance(value, dict):
        raise CellError(gettext_noop("must be a JSON object ({...})"))
    return value


def parse_names(text: str) -> list[str]:
    """A ;-separated list of names (groups, tags, permissions), without blanks or repeats."""
    names = [name.strip() for name in text.split(";")]
    return list(dict.fromkeys(name for name in names if name))


def parse_text(text: str, max_length: int) -> str:
    value = text.strip()
    if len(value) > max_length:
        raise CellError(gettext_noop("longer than %(length)s characters"), length=max_length)
    return value
