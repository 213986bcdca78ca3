"""The moment a segment is evaluated at, and the calendar arithmetic criteria need.

All periods are turned into half-open or closed intervals of aware datetimes here, so the
criteria only ever compare timestamps. Birthdays become ranges of `birth_monthday`
(month * 100 + day) and ages become birth-date cut-offs, both indexable.
"""

import calendar
import datetime
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from .params import Period

DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """[start, end] or [start, end) on the time line."""

    start: datetime.datetime
    end: datetime.datetime
    end_inclusive: bool

    def lookups(self, field: str) -> dict[str, datetime.datetime]:
        end_lookup = "lte" if self.end_inclusive else "lt"
        return {f"{field}__gte": self.start, f"{field}__{end_lookup}": self.end}


@dataclass(frozen=True)
class Clock:
    """The evaluation moment `at` and the organisation's time zone."""

    at: datetime.datetime
    tz: zoneinfo.ZoneInfo

    @property
    def today(self) -> datetime.date:
        return self.at.astimezone(self.tz).date()

    def day_start(self, day: datetime.date) -> datetime.datetime:
        # fold=0: in a repeated hour the first occurrence, as imports read local times.
        return datetime.datetime.combine(day, datetime.time(0), tzinfo=self.tz)

    def local_days(self, first: datetime.date, last: datetime.date) -> Window:
        return Window(self.day_start(first), self.day_start(last + DAY), end_inclusive=False)

    def window(self, period: Period) -> Window:
        if period.first_day is not None and period.last_day is not None:
            return self.local_days(period.first_day, period.last_day)
        if period.last_days is not None:
            return Window(self.at - period.last_days * DAY, self.at, end_inclusive=True)
        assert period.next_days is not None
        return Window(self.at, self.at + period.next_days * DAY, end_inclusive=True)


def make_clock(tz: zoneinfo.ZoneInfo, at: datetime.datetime | None) -> Clock:
    """`at` defaults to now; a naive `at` is local time in the zone (first occurrence)."""
    if at is None:
        at = timezone.now()
    elif timezone.is_naive(at):
        at = at.replace(tzinfo=tz)
    # In UTC, so `at - N days` is N×24 h of elapsed time even across a DST change
    # (arithmetic on a zoned datetime would move the wall clock instead).
    return Clock(at=at.astimezone(datetime.UTC), tz=tz)


# Every month-day of a leap year in calendar order; birth_monthday values are among these.
MONTHDAYS = [
    month * 100 + day
    for month in range(1, 13)
    for day in range(1, calendar.monthrange(2000, month)[1] + 1)
]
LEAP_DAY = 229


def anniversary_monthdays(day: datetime.date) -> set[int]:
    """Birth month-days whose anniversary falls on `day` (29 Feb counts on 28 Feb in
    years without one)."""
    monthdays = {day.month * 100 + day.day}
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        monthdays.add(LEAP_DAY)
    return monthdays


def birthday_days_monthdays(today: datetime.date, first: int, last: int) -> set[int]:
    """Birth month-days with an anniversary on a date in [today + first, today + last]."""
    if last - first >= 366:
        return set(MONTHDAYS)
    found: set[int] = set()
    for offset in range(first, last + 1):
        found |= anniversary_monthdays(today + offset * DAY)
    return found


def birthday_months_monthdays(today: datetime.date, first: int, last: int) -> set[int]:
    """Birth month-days in the months k months after today's month, k in [first, last]."""
    if last - first >= 11:
        months = set(range(1, 13))
    else:
        months = {(today.month - 1 + k) % 12 + 1 for k in range(first, last + 1)}
    return {monthday for monthday in MONTHDAYS if monthday // 100 in months}


def monthday_ranges(monthdays: set[int]) -> list[tuple[int, int]]:
    """Runs of consecutive calendar month-days as inclusive (low, high) ranges."""
    ranges: list[tuple[int, int]] = []
    run_start: int | None = None
    previous: int | None = None
    for monthday in MONTHDAYS:
        if monthday in monthdays:
            if run_start is None:
                run_start = monthday
            previous = monthday
        elif run_start is not None:
            assert previous is not None
            ranges.append((run_start, previous))
            run_start = None
    if run_start is not None:
        assert previous is not None
        ranges.append((run_start, previous))
    return ranges


def latest_birth_date_for_age(today: datetime.date, age: int) -> datetime.date | None:
    """The latest birth date of someone at least `age` full years old on `today`.

    A 29 February child turns a year older on 28 February in years without one. None
    when no such date exists in the calendar (age beyond year 1).
    """
    year = today.year - age
    if year < datetime.MINYEAR:
        return None
    if year > datetime.MAXYEAR:
        return datetime.date.max
    if today.month == 2 and today.day == 29 and not calendar.isleap(year):
        return datetime.date(year, 2, 28)
    leap_day_birth_counts_today = calendar.isleap(year) and not calendar.isleap(today.year)
    if (today.month, today.day) == (2, 28) and leap_day_birth_counts_today:
        return datetime.date(year, 2, 29)
    return datetime.date(year, today.month, today.day)
