"""Time and the event calendar of a demo world.

Times are (day index, local minute) pairs until they are written: comparisons stay
integer arithmetic and the text form is two list look-ups, which keeps the bulk path fast.
"""

import datetime
import random
import zoneinfo
from dataclasses import dataclass

from .catalogue import PRODUCTIONS, VENUES

# Customers may have been created this long before the activity window opens.
HISTORY_BEFORE_WINDOW_DAYS = 4 * 365
FUTURE_DAYS = 90
MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class TimeFormat:
    """How a sink spells a UTC timestamp: date, separator, HH:MM:SS, suffix."""

    separator: str
    suffix: str


SQLITE_TIME = TimeFormat(" ", "")
POSTGRES_TIME = TimeFormat(" ", "+00")
ISO_TIME = TimeFormat("T", "+00:00")


class Clock:
    """Day indices from the first possible customer creation to the end of the future.

    `today` is day `self.today`; activity in the past happens on earlier days, future
    bookings and events on later ones. Local times are minutes after local midnight in
    the organisation's zone and are converted to UTC with that day's offset (every
    generated time is after 03:00 local, so no DST gap or fold is involved).
    """

    def __init__(
        self, *, today: datetime.date, months: int, tz: zoneinfo.ZoneInfo, time_format: TimeFormat
    ):
        window_start = _months_before(today, months)
        self.first_date = window_start - datetime.timedelta(days=HISTORY_BEFORE_WINDOW_DAYS)
        self.window_start = (window_start - self.first_date).days
        self.today = (today - self.first_date).days
        self.last_day = self.today + FUTURE_DAYS
        self.dates = [
            self.first_date + datetime.timedelta(days=d) for d in range(self.last_day + 1)
        ]
        self._offsets = [_utc_offset_minutes(day, tz) for day in self.dates]
        self._prefixes = [day.isoformat() + time_format.separator for day in self.dates]
        self._clock_times = [
            f"{m // 60:02d}:{m % 60:02d}:00{time_format.suffix}" for m in range(MINUTES_PER_DAY)
        ]

    def stamp(self, day: int, local_minute: int) -> str:
        """The UTC timestamp text of a local day and minute."""
        return self._prefixes[day] + self._clock_times[local_minute - self._offsets[day]]

    def weekday(self, day: int) -> int:
        return (self.first_date.toordinal() + day - 1) % 7  # Monday = 0, as date.weekday()

    def date_text(self, day: int) -> str:
        return self.dates[day].isoformat()


def _months_before(day: datetime.date, months: int) -> datetime.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return datetime.date(year, month + 1, min(day.day, 28))


def _utc_offset_minutes(day: datetime.date, tz: zoneinfo.ZoneInfo) -> int:
    noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=tz)
    offset = noon.utcoffset() or datetime.timedelta(0)
    return int(offset.total_seconds()) // 60


@dataclass(frozen=True)
class DemoEvent:
    external_id: str
    production: int  # index into PRODUCTIONS
    venue: int  # index into VENUES
    day: int
    minute: int

    @property
    def moment(self) -> int:
        return self.day * MINUTES_PER_DAY + self.minute


def plan_events(*, clock: Clock, seed: int) -> list[DemoEvent]:
    """Two or three seasons of performances per production, over the window and beyond."""
    rng = random.Random(f"regulars-demo-events:{seed}")
    events = []
    for production, (_, _, venues, hour, minute) in enumerate(PRODUCTIONS):
        for _season in range(2 + int(rng.random() * 2)):
            day = clock.window_start + int(
                rng.random() * (clock.last_day - clock.window_start - 30)
            )
            venue = venues[int(rng.random() * len(venues))]
            for _performance in range(4 + int(rng.random() * 9)):
                day += 1 + int(rng.random() * 3)
                if day > clock.last_day:
                    break
                start = hour * 60 + minute
                if clock.weekday(day) >= 5 and hour >= 19:  # weekend matinee
                    start = 15 * 60
                events.append((day, start, production, venue))
    events.sort()
    return [
        DemoEvent(f"E{seed}-{n + 1:04d}", production, venue, day, start)
        for n, (day, start, production, venue) in enumerate(events)
    ]


def venue_position(venue: int) -> tuple[float, float]:
    _, latitude, longitude = VENUES[venue]
    return latitude, longitude
