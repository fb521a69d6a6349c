"""The working-day calendar a platform admin maintains: holidays, make-up workdays, confirmed years.

`chinesecalendar` knows the State Council's schedules up to 2026 and nothing after, yet
deadlines computed today already end in 2027. The State Council publishes each year's
holidays in late autumn; an admin enters them here (a day is a holiday or a make-up working
day, with the holiday's name) and then confirms the year. Until then the year is counted
Monday to Friday and every deadline through it carries a warning. The tables also win over
the package, so a correction needs no upgrade.

Every module counts working days through `load_calendar(session)` (or `deadline(...)`); every
change is recorded in the ledger in the same transaction, under the case `calendar:<year>`,
so the ledger shows who entered and confirmed each year's schedule.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Date, Integer, String, extract, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from zhuyun.core import ledger
from zhuyun.core.calendar import WorkingCalendar, package_knows
from zhuyun.core.db import Base, UTCDateTime, utcnow
from zhuyun.core.errors import Conflict, NotFound, Unprocessable
from zhuyun.core.ledger import Actor, Subject

__all__ = [
    "DAY_KIND_LABELS_ZH",
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_WORKING_DAYS",
    "NAME_MAX",
    "CalendarDay",
    "ConfirmedYear",
    "DayKind",
    "Deadline",
    "YearStatus",
    "check_year",
    "confirm_year",
    "deadline",
    "list_days",
    "load_calendar",
    "parse_day",
    "parse_kind",
    "remove_day",
    "set_day",
    "set_days",
    "unconfirm_year",
    "year_status",
    "years_with_entries",
]

#: The years an admin may maintain: chinesecalendar starts in 2004; 2100 is far enough.
FIRST_YEAR, LAST_YEAR = 2004, 2100
NAME_MAX = 40
BASIS_MAX = 200
#: The most working days a deadline may count (about four years).
MAX_WORKING_DAYS = 1000
#: The longest run of days entered at once (the longest holidays last 8–9 days).
MAX_RUN_DAYS = 31


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # 放假: no one works, whatever the weekday
    WORKDAY = "workday"  # 调休上班: a make-up working day on a day otherwise off


DAY_KIND_LABELS_ZH: dict[DayKind, str] = {DayKind.HOLIDAY: "放假", DayKind.WORKDAY: "调休上班"}


class CalendarDay(Base):
    """One day an admin set: a holiday or a make-up working day. One row per day, so a day
    cannot be both."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # Who set it, by value: core knows nothing of identity's tables.
    set_by_id: Mapped[int | None] = mapped_column(Integer)
    set_by_name: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConfirmedYear(Base):
    """A year whose table an admin declared complete: it holds the published schedule."""

    __tablename__ = "calendar_confirmed_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    basis: Mapped[str | None] = mapped_column(String(BASIS_MAX))
    confirmed_by_id: Mapped[int | None] = mapped_column(Integer)
    confirmed_by_name: Mapped[str] = mapped_column(String(200))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ---------------------------------------------------------------- validation


def check_year(year: int) -> int:
    """A year the calendar may hold, or a 422 that says which years it may."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Unprocessable(
            f"The year must be between {FIRST_YEAR} and {LAST_YEAR}, not {year}.",
            f"年份须在 {FIRST_YEAR}–{LAST_YEAR} 年之间，收到的是 {year}。",
            code="calendar-year-out-of-range",
        )
    return year


def parse_day(value: str | date) -> date:
    """A date as YYYY-MM-DD within the maintained years; a 422 in both languages otherwise."""
    if isinstance(value, date):
        day = value
    else:
        text = value.strip()
        try:
            if len(text) != 10:
                raise ValueError(text)
            day = date.fromisoformat(text)
        except ValueError:
            shown = text[:20]
            raise Unprocessable(
                f"'{shown}' is not a date; write it as YYYY-MM-DD, e.g. 2027-02-06.",
                f"“{shown}”不是有效日期，请按 YYYY-MM-DD 填写，例如 2027-02-06。",
                code="calendar-bad-date",
            ) from None
    check_year(day.year)
    return day


def parse_kind(value: str | DayKind) -> DayKind:
    """`holiday` or `workday`, or a 422 that names both."""
    try:
        return DayKind(str(value).strip().lower())
    except ValueError:
        shown = str(value)[:20]
        raise Unprocessable(
            f"The kind must be 'holiday' or 'workday' (a make-up working day), not '{shown}'.",
            f"类型须为 holiday（放假）或 workday（调休上班），收到的是“{shown}”。",
            code="calendar-bad-kind",
        ) from None


def _clean_name(name: str | None) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise Unprocessable(
            "Name the holiday (e.g. 春节) so the calendar can show it.",
            "请填写节日名称（如“春节”），日历上会显示它。",
            code="calendar-name-missing",
        )
    if len(text) > NAME_MAX:
        raise Unprocessable(
            f"The name may have at most {NAME_MAX} characters, not {len(text)}.",
            f"名称最多 {NAME_MAX} 个字，当前 {len(text)} 个。",
            code="calendar-name-too-long",
        )
    return text


def _clean_basis(basis: str | None) -> str | None:
    text = " ".join((basis or "").split())
    if len(text) > BASIS_MAX:
        raise Unprocessable(
            f"The basis may have at most {BASIS_MAX} characters, not {len(text)}.",
            f"依据最多 {BASIS_MAX} 个字，当前 {len(text)} 个。",
            code="calendar-basis-too-long",
        )
    return text or None


_WEEKDAYS_ZH = "一二三四五六日"


# ---------------------------------------------------------------- changes


def _changed(session: Session) -> None:
    """Mark the session: a calendar it loads from now on must not enter the shared cache,
    because its changes may still roll back."""
    session.info["calendar_changed"] = True


def set_day(
    session: Session, actor: Actor, day: date, kind: DayKind | str, name: str
) -> CalendarDay:
    """Make `day` a holiday or a make-up working day (or rename it); ledgered as
    `calendar.day_set`. Switching a day's kind needs a removal first, so a holiday never
    silently turns into a working day."""
    day = parse_day(day)
    kind = parse_kind(kind)
    name = _clean_name(name)
    row = session.get(CalendarDay, day)
    previous: dict[str, Any] = {}
    if row is not None:
        if row.kind != kind.value:
            was = DAY_KIND_LABELS_ZH[DayKind(row.kind)]
            raise Conflict(
                f"{day.isoformat()} is already set as a {row.kind} ({row.name}); a day cannot be "
                "both a holiday and a make-up working day — remove it first.",
                f"{day.isoformat()} 已设为“{was}”（{row.name}），同一天不能既放假又调休上班；"
                "如需更改，请先删除该日。",
                code="calendar-day-conflict",
            )
        if row.name == name:
            return row  # nothing changes, nothing to record
        previous = {"previous_name": row.name}
        row.name = name
    else:
        weekday = _WEEKDAYS_ZH[day.weekday()]
        if kind is DayKind.WORKDAY and WorkingCalendar().is_working_day(day):
            raise Unprocessable(
                f"{day.isoformat()} is already a working day; a make-up working day goes on a "
                "weekend or a day off.",
                f"{day.isoformat()}（星期{weekday}）本来就是工作日；调休上班只能设在周末或法定假日。",
                code="calendar-already-working",
            )
        row = CalendarDay(day=day, kind=kind.value, name=name)
        session.add(row)
    row.set_by_id, row.set_by_name, row.set_at = actor.id, actor.name, utcnow()
    session.flush()
    _changed(session)
    ledger.record(
        session,
        actor,
        "calendar.day_set",
        Subject("calendar_day", day.isoformat()),
        {"day": day.isoformat(), "kind": kind.value, "name": name, **previous},
        case_id=f"calendar:{day.year}",
    )
    return row


def set_days(
    session: Session, actor: Actor, first: date, last: date, kind: DayKind | str, name: str
) -> list[CalendarDay]:
    """Set every day from `first` to `last` alike (a holiday is entered as a run of days);
    each day is checked and ledgered on its own. The caller's transaction makes it all or
    nothing: roll back when this raises."""
    first, last = parse_day(first), parse_day(last)
    if last < first:
        raise Unprocessable(
            f"The last day {last.isoformat()} comes before the first {first.isoformat()}.",
            f"结束日期 {last.isoformat()} 早于开始日期 {first.isoformat()}。",
            code="calendar-bad-range",
        )
    if (last - first).days >= MAX_RUN_DAYS:
        raise Unprocessable(
            f"Enter at most {MAX_RUN_DAYS} days at once.",
            f"一次最多录入 {MAX_RUN_DAYS} 天。",
            code="calendar-run-too-long",
        )
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [set_day(session, actor, day, kind, name) for day in days]


def remove_day(session: Session, actor: Actor, day: date | str) -> None:
    """Return `day` to the package or the weekday rule; ledgered as `calendar.day_removed`."""
    day = parse_day(day)
    row = session.get(CalendarDay, day)
    if row is None:
        raise NotFound(
            f"{day.isoformat()} is not in the calendar table.",
            f"日历表中没有 {day.isoformat()} 这一天。",
            code="calendar-day-not-found",
        )
    kind, name = row.kind, row.name
    session.delete(row)
    session.flush()
    _changed(session)
    ledger.record(
        session,
        actor,
        "calendar.day_removed",
        Subject("calendar_day", day.isoformat()),
        {"day": day.isoformat(), "kind": kind, "name": name},
        case_id=f"calendar:{day.year}",
    )


def _counts(session: Session, year: int) -> dict[str, int]:
    rows = session.execute(
        select(CalendarDay.kind, func.count())
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .group_by(CalendarDay.kind)
    ).all()
    return {kind: count for kind, count in rows}


def confirm_year(
    session: Session, actor: Actor, year: int, basis: str | None = None
) -> ConfirmedYear:
    """Declare that the table holds `year`'s published schedule; ledgered as
    `calendar.year_confirmed`. A year with no holiday entered cannot be confirmed: every
    published schedule has some, so an empty year is a year nobody has entered yet."""
    check_year(year)
    basis = _clean_basis(basis)
    if package_knows(year):
        raise Conflict(
            f"{year} is already known from the chinese-calendar package; there is nothing to "
            "confirm (enter corrections as days).",
            f"{year} 年的安排已由 chinese-calendar 内置，无需确认；如有更正，请逐日录入。",
            code="calendar-year-built-in",
        )
    if session.get(ConfirmedYear, year) is not None:
        raise Conflict(
            f"{year} is already confirmed.", f"{year} 年已经确认过了。", code="calendar-confirmed"
        )
    counts = _counts(session, year)
    if not counts.get(DayKind.HOLIDAY.value):
        raise Unprocessable(
            f"{year} has no holidays in the table yet; enter the State Council's schedule "
            "before confirming the year.",
            f"{year} 年还没有录入任何放假日；请先按国务院办公厅的通知录入放假和调休安排，再确认。",
            code="calendar-year-empty",
        )
    row = ConfirmedYear(
        year=year,
        basis=basis,
        confirmed_by_id=actor.id,
        confirmed_by_name=actor.name,
        confirmed_at=utcnow(),
    )
    session.add(row)
    session.flush()
    _changed(session)
    ledger.record(
        session,
        actor,
        "calendar.year_confirmed",
        Subject("calendar_year", year),
        {
            "year": year,
            "holidays": counts.get(DayKind.HOLIDAY.value, 0),
            "workdays": counts.get(DayKind.WORKDAY.value, 0),
            "basis": basis,
        },
        case_id=f"calendar:{year}",
    )
    return row


def unconfirm_year(session: Session, actor: Actor, year: int) -> None:
    """Take a confirmation back (the schedule was entered wrongly); deadlines through the year
    warn again. Ledgered as `calendar.year_unconfirmed`."""
    check_year(year)
    row = session.get(ConfirmedYear, year)
    if row is None:
        raise NotFound(
            f"{year} is not confirmed by an admin.",
            f"{year} 年未经管理员确认，无需撤销。",
            code="calendar-not-confirmed",
        )
    session.delete(row)
    session.flush()
    _changed(session)
    ledger.record(
        session,
        actor,
        "calendar.year_unconfirmed",
        Subject("calendar_year", year),
        {"year": year},
        case_id=f"calendar:{year}",
    )


# ---------------------------------------------------------------- reading


def list_days(
    session: Session, year: int | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[CalendarDay], int]:
    """A page of the admin's days in date order (of one year, or all) and how many match."""
    conditions = []
    if year is not None:
        check_year(year)
        conditions = [CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)]
    total = session.scalar(select(func.count()).select_from(CalendarDay).where(*conditions)) or 0
    rows = session.scalars(
        select(CalendarDay).where(*conditions).order_by(CalendarDay.day).offset(offset).limit(limit)
    ).all()
    return list(rows), total


@dataclass(frozen=True)
class YearStatus:
    """What the platform knows of a year's schedule."""

    year: int
    known_to_package: bool
    admin_confirmed: bool
    holidays: int
    workdays: int
    basis: str | None = None
    confirmed_by_name: str | None = None
    confirmed_at: datetime | None = None

    @property
    def confirmed(self) -> bool:
        """Deadlines through the year are exact (not a Monday–Friday estimate)."""
        return self.known_to_package or self.admin_confirmed

    @property
    def admin_days(self) -> int:
        return self.holidays + self.workdays


def year_status(session: Session, years: Iterable[int]) -> list[YearStatus]:
    """For each year (in order): known to the package? confirmed by an admin? how many days?"""
    wanted = sorted({check_year(y) for y in years})
    if not wanted:
        return []
    year_of = extract("year", CalendarDay.day)
    counts: dict[tuple[int, str], int] = {
        (int(y), kind): n
        for y, kind, n in session.execute(
            select(year_of, CalendarDay.kind, func.count())
            .where(
                CalendarDay.day >= date(wanted[0], 1, 1),
                CalendarDay.day <= date(wanted[-1], 12, 31),
            )
            .group_by(year_of, CalendarDay.kind)
        ).all()
    }
    confirmed = {
        row.year: row
        for row in session.scalars(select(ConfirmedYear).where(ConfirmedYear.year.in_(wanted)))
    }
    result = []
    for year in wanted:
        mark = confirmed.get(year)
        result.append(
            YearStatus(
                year=year,
                known_to_package=package_knows(year),
                admin_confirmed=mark is not None,
                holidays=counts.get((year, DayKind.HOLIDAY.value), 0),
                workdays=counts.get((year, DayKind.WORKDAY.value), 0),
                basis=mark.basis if mark else None,
                confirmed_by_name=mark.confirmed_by_name if mark else None,
                confirmed_at=mark.confirmed_at if mark else None,
            )
        )
    return result


def years_with_entries(session: Session) -> list[int]:
    """Years an admin has entered days for or confirmed (at most 97 of them)."""
    year_of = extract("year", CalendarDay.day)
    entered = {int(y) for y in session.scalars(select(year_of).distinct())}
    entered.update(session.scalars(select(ConfirmedYear.year)))
    return sorted(entered)


# ---------------------------------------------------------------- the calendar itself

_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple[Any, ...], WorkingCalendar]] = {}


def _stamp(session: Session) -> tuple[Any, ...]:
    """Changes whenever the tables do: a set or renamed day moves the newest `set_at`, a
    removal lowers the count (the same for years). One cheap aggregate query."""
    days = select(func.count(), func.max(CalendarDay.set_at)).select_from(CalendarDay)
    years = select(func.count(), func.max(ConfirmedYear.confirmed_at)).select_from(ConfirmedYear)
    day_count, day_newest = session.execute(days).one()
    year_count, year_newest = session.execute(years).one()
    return (day_count, str(day_newest), year_count, str(year_newest))


def _build(session: Session) -> WorkingCalendar:
    holidays: dict[date, str] = {}
    makeup: dict[date, str] = {}
    for day, kind, name in session.execute(
        select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)
    ).all():
        (holidays if kind == DayKind.HOLIDAY.value else makeup)[day] = name
    confirmed = session.scalars(select(ConfirmedYear.year)).all()
    return WorkingCalendar(holidays=holidays, makeup_workdays=makeup, confirmed_years=confirmed)


def load_calendar(session: Session) -> WorkingCalendar:
    """The platform's working calendar: the package, the admin's days, the confirmed years.

    Cheap to call per request: it is rebuilt only when the tables changed (checked with one
    aggregate query), and shared between requests of the same database.
    """
    if session.info.get("calendar_changed"):
        return _build(session)  # uncommitted changes: never share them
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    stamp = _stamp(session)
    cached = _cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    calendar = _build(session)
    with _cache_lock:
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = (stamp, calendar)
    return calendar


@dataclass(frozen=True)
class Deadline:
    """A deadline in working days, and whether it rests on a year nobody has confirmed."""

    start: date
    working_days: int
    due: date
    unconfirmed_years: tuple[int, ...]

    @property
    def confirmed(self) -> bool:
        return not self.unconfirmed_years

    @property
    def warning_en(self) -> str | None:
        if self.confirmed:
            return None
        years = ", ".join(str(y) for y in self.unconfirmed_years)
        return (
            f"The holiday schedule of {years} is not confirmed yet: this deadline counts the "
            "days entered so far and Monday to Friday otherwise, and may move once the "
            "schedule is confirmed."
        )

    @property
    def warning_zh(self) -> str | None:
        if self.confirmed:
            return None
        years = "、".join(str(y) for y in self.unconfirmed_years)
        return (
            f"{years} 年放假安排尚未确认，该期限按已录入的日期和周一至周五上班推算，"
            "正式安排确认后可能变动。"
        )


def deadline(session: Session, start: date | str, working_days: int) -> Deadline:
    """The n-th working day after `start` (`start` never counts), as every module counts
    "受理后 N 个工作日内", with the years it relied on that nobody has confirmed."""
    start = parse_day(start)
    if not 0 <= working_days <= MAX_WORKING_DAYS:
        raise Unprocessable(
            f"working_days must be between 0 and {MAX_WORKING_DAYS}, not {working_days}.",
            f"工作日天数须在 0–{MAX_WORKING_DAYS} 之间，收到的是 {working_days}。",
            code="calendar-bad-working-days",
        )
    calendar = load_calendar(session)
    due = calendar.add_working_days(start, working_days)
    if due.year > LAST_YEAR:
        raise Unprocessable(
            f"The deadline would fall after {LAST_YEAR}, beyond the calendar.",
            f"期限将超出 {LAST_YEAR} 年，超出日历范围。",
            code="calendar-year-out-of-range",
        )
    return Deadline(start, working_days, due, tuple(calendar.unconfirmed_years(start, due)))
