"""Working days in China: statutory holidays and make-up working days (调休).

Deadlines are counted in working days (sharing applications, service time limits, work-order
SLAs). The package `chinesecalendar` knows each year the State Council has published
(2004–2026 in 1.11) and raises NotImplementedError outside them — yet a deadline computed in
late 2026 already lands in 2027. So the calendar never lets that error escape: for a year the
package does not know it falls back to Monday–Friday, and an admin fills the gap with tables of
holidays and make-up working days (the schedule is published each year in late autumn). The
tables win over the package too, so a correction needs no upgrade.

Conventions:
- `add_working_days(start, n)` is the n-th working day *after* `start` (start itself never
  counts, whether or not it is a working day); `n = 0` returns `start` unchanged.
- `working_days_between(start, end)` counts working days `d` with `start < d <= end`, so
  `working_days_between(s, add_working_days(s, n)) == n`; it is negative when `end < start`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "CHINA_TIME",
    "DayInfo",
    "WorkingCalendar",
    "china_today",
    "default_calendar",
    "package_knows",
]

_ONE_DAY = timedelta(days=1)
#: The Chinese names of the package's holidays, which it stores in English.
_HOLIDAY_NAMES_ZH = {h.value: h.chinese for h in chinese_calendar.Holiday}


@functools.cache
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def package_knows(year: int) -> bool:
    """Whether the installed chinesecalendar package carries the State Council's schedule."""
    return _package_knows(year)


#: What a day is: an ordinary working day, a weekend, a holiday, or a make-up working day.
DayKind = Literal["workday", "weekend", "holiday", "makeup"]
#: Where the answer came from: an admin's table, the package, or the Monday–Friday rule.
DaySource = Literal["admin", "package", "weekdays"]


@dataclass(frozen=True)
class DayInfo:
    """One day as a calendar page shows it."""

    day: date
    working: bool
    kind: DayKind
    name: str | None
    source: DaySource


class WorkingCalendar:
    """Answers 'is this a working day' and counts working days, for any year.

    For each day, in order: an admin holiday is a day off; an admin make-up working day is a
    working day; a year the package knows follows the package; any other year works
    Monday to Friday.
    """

    def __init__(
        self,
        holidays: Mapping[date, str] | None = None,
        makeup_workdays: Iterable[date] | Mapping[date, str] | None = None,
        confirmed_years: Iterable[int] = (),
    ) -> None:
        self._holidays: dict[date, str] = dict(holidays or {})
        # A mapping also names the holiday each make-up day serves; a plain list names none.
        self._makeup_names: dict[date, str] = (
            dict(makeup_workdays) if isinstance(makeup_workdays, Mapping) else {}
        )
        self._makeup: frozenset[date] = frozenset(makeup_workdays or ())
        both = sorted(self._makeup.intersection(self._holidays))
        if both:
            days = ", ".join(d.isoformat() for d in both)
            raise ValueError(f"a day cannot be both a holiday and a make-up working day: {days}")
        self._confirmed: frozenset[int] = frozenset(confirmed_years)

    def is_confirmed_year(self, year: int) -> bool:
        """True when the year's schedule is known: the package has it, or an admin confirmed
        that the tables hold the published schedule. Tables alone confirm nothing."""
        return year in self._confirmed or _package_knows(year)

    def is_working_day(self, day: date) -> bool:
        """Whether offices work on `day` (admin tables, then the package, then weekdays)."""
        if day in self._holidays:
            return False
        if day in self._makeup:
            return True
        if _package_knows(day.year):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        """The holiday (or the holiday a make-up working day serves), in Chinese, if any."""
        if day in self._holidays:
            return self._holidays[day]
        if day in self._makeup or not _package_knows(day.year):
            return None
        _on_holiday, name = chinese_calendar.get_holiday_detail(day)
        return None if name is None else _HOLIDAY_NAMES_ZH.get(name, str(name))

    def describe(self, day: date) -> DayInfo:
        """What `day` is and why: the page's month grid and the API explain deadlines by it."""
        weekend = day.weekday() >= 5
        if day in self._holidays:
            return DayInfo(day, False, "holiday", self._holidays[day], "admin")
        if day in self._makeup:
            kind: DayKind = "makeup" if weekend else "workday"
            return DayInfo(day, True, kind, self._makeup_names.get(day) or None, "admin")
        if _package_knows(day.year):
            working = bool(chinese_calendar.is_workday(day))
            name = self.holiday_name(day)
            if working:
                return DayInfo(day, True, "makeup" if weekend else "workday", name, "package")
            if name is not None or not weekend:
                return DayInfo(day, False, "holiday", name, "package")
            return DayInfo(day, False, "weekend", None, "package")
        return DayInfo(day, not weekend, "weekend" if weekend else "workday", None, "weekdays")

    def unconfirmed_years(self, start: date, end: date) -> list[int]:
        """Years of the days a count from `start` to `end` looks at (start < d <= end) whose
        schedule nobody confirmed: a deadline through them is only a weekday estimate."""
        if end <= start:
            return []
        first = (start + _ONE_DAY).year
        return [year for year in range(first, end.year + 1) if not self.is_confirmed_year(year)]

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start`; `start` itself never counts, n = 0 gives start.

        A 10-working-day review from Friday 2024-09-27 ends on Wednesday 2024-10-16: the
        make-up Sunday 2024-09-29 and Saturday 2024-10-12 count, the National Day week does not.
        """
        if n < 0:
            raise ValueError(f"n is a number of working days, at least 0, not {n}")
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += _ONE_DAY
        return count


def default_calendar() -> WorkingCalendar:
    """A calendar with the package only: no admin tables, no confirmed extra years."""
    return WorkingCalendar()


CHINA_TIME = ZoneInfo("Asia/Shanghai")


def china_today() -> date:
    """Today's date in Beijing time: deadlines are counted in the days people live by."""
    return datetime.now(CHINA_TIME).date()
