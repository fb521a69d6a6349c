"""The admin-maintained working calendar: days, confirmed years, deadlines and their ledger."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from zhuyun.core import holidays, ledger
from zhuyun.core.db import Database
from zhuyun.core.errors import Conflict, NotFound, Problem, Unprocessable
from zhuyun.core.holidays import CalendarDay, ConfirmedYear
from zhuyun.core.ledger import Actor, LedgerEntry

ADMIN = Actor(id=1, name="平台管理员", unit_id=None, role="platform_admin")
SPRING_FESTIVAL_2027 = [date(2027, 2, day) for day in range(5, 14)]  # Fri 5 – Sat 13 February


def _enter_spring_festival(db: Database) -> None:
    with db.session() as session:
        for day in SPRING_FESTIVAL_2027:
            holidays.set_day(session, ADMIN, day, "holiday", "春节")
        holidays.set_day(session, ADMIN, date(2027, 2, 14), "workday", "春节")


def _calendar_entries(db: Database) -> list[LedgerEntry]:
    with db.session() as session:
        rows, _ = ledger.list_entries(session, ledger.LedgerQuery(activity="calendar."), 0, 200)
    return rows


def test_a_2027_holiday_set_by_the_admin_moves_a_deadline(fresh_database: Database) -> None:
    thursday = date(2027, 2, 4)
    with fresh_database.session() as session:
        before = holidays.deadline(session, thursday, 1)
    assert before.due == date(2027, 2, 5)  # Friday, counted as a weekday
    _enter_spring_festival(fresh_database)
    with fresh_database.session() as session:
        after = holidays.deadline(session, thursday, 1)
        calendar = holidays.load_calendar(session)
    assert after.due == date(2027, 2, 14)  # the make-up Sunday is the first working day
    assert calendar.holiday_name(date(2027, 2, 8)) == "春节"
    assert calendar.describe(date(2027, 2, 14)).kind == "makeup"


def test_a_deadline_from_december_2026_warns_until_2027_is_confirmed(
    fresh_database: Database,
) -> None:
    with fresh_database.session() as session:
        due = holidays.deadline(session, "2026-12-15", 20)
    assert due.unconfirmed_years == (2027,)
    assert not due.confirmed
    assert due.warning_zh and "2027 年放假安排尚未确认" in due.warning_zh
    assert due.warning_en and "2027" in due.warning_en
    _enter_spring_festival(fresh_database)
    with fresh_database.session() as session:
        holidays.confirm_year(session, ADMIN, 2027, "国务院办公厅通知")
    with fresh_database.session() as session:
        confirmed = holidays.deadline(session, date(2026, 12, 15), 20)
    assert confirmed.confirmed and confirmed.warning_zh is None and confirmed.warning_en is None


def test_a_deadline_inside_a_known_year_carries_no_warning(fresh_database: Database) -> None:
    with fresh_database.session() as session:
        due = holidays.deadline(session, date(2024, 9, 27), 10)
    assert due.due == date(2024, 10, 16)
    assert due.confirmed


def test_a_change_is_seen_at_once_and_a_rolled_back_one_is_forgotten(
    fresh_database: Database,
) -> None:
    day = date(2028, 3, 1)
    with fresh_database.session() as session:
        assert holidays.load_calendar(session).is_working_day(day)
    with pytest.raises(RuntimeError), fresh_database.session() as session:
        holidays.set_day(session, ADMIN, day, "holiday", "试验")
        assert not holidays.load_calendar(session).is_working_day(day)
        raise RuntimeError("the request failed after the change")
    with fresh_database.session() as session:
        assert holidays.load_calendar(session).is_working_day(day)
        holidays.set_day(session, ADMIN, day, "holiday", "试验")
    with fresh_database.session() as session:
        assert not holidays.load_calendar(session).is_working_day(day)
        holidays.remove_day(session, ADMIN, day)
    with fresh_database.session() as session:
        assert holidays.load_calendar(session).is_working_day(day)


def test_a_day_cannot_be_both_a_holiday_and_a_make_up_workday(fresh_database: Database) -> None:
    saturday = date(2027, 2, 13)
    with fresh_database.session() as session:
        holidays.set_day(session, ADMIN, saturday, "holiday", "春节")
    with pytest.raises(Conflict) as refused, fresh_database.session() as session:
        holidays.set_day(session, ADMIN, saturday, "workday", "春节")
    assert "不能既放假又调休上班" in refused.value.message_zh
    with fresh_database.session() as session:
        assert session.get(CalendarDay, saturday).kind == "holiday"  # type: ignore[union-attr]


def test_a_make_up_workday_goes_on_a_weekend_or_a_day_off(fresh_database: Database) -> None:
    with pytest.raises(Unprocessable) as refused, fresh_database.session() as session:
        holidays.set_day(session, ADMIN, date(2027, 2, 17), "workday", "春节")  # a Wednesday
    assert "本来就是工作日" in refused.value.message_zh
    with fresh_database.session() as session:
        # a correction of the package: National Day 2024 made a working day
        row = holidays.set_day(session, ADMIN, date(2024, 10, 1), "workday", "更正")
        assert row.kind == "workday"
        assert holidays.load_calendar(session).is_working_day(date(2024, 10, 1))


@pytest.mark.parametrize(
    ("day", "kind", "name", "code"),
    [
        ("2027-02-30", "holiday", "春节", "calendar-bad-date"),
        ("2027/02/06", "holiday", "春节", "calendar-bad-date"),
        ("tomorrow", "holiday", "春节", "calendar-bad-date"),
        ("2101-01-01", "holiday", "元旦", "calendar-year-out-of-range"),
        ("2003-01-01", "holiday", "元旦", "calendar-year-out-of-range"),
        ("2027-02-06", "vacation", "春节", "calendar-bad-kind"),
        ("2027-02-06", "", "春节", "calendar-bad-kind"),
        ("2027-02-06", "holiday", "   ", "calendar-name-missing"),
        ("2027-02-06", "holiday", "节" * 41, "calendar-name-too-long"),
    ],
)
def test_bad_input_is_refused_in_both_languages_and_changes_nothing(
    fresh_database: Database, day: str, kind: str, name: str, code: str
) -> None:
    with pytest.raises(Problem) as refused, fresh_database.session() as session:
        holidays.set_day(session, ADMIN, holidays.parse_day(day), kind, name)
    assert refused.value.status == 422
    assert refused.value.code == code
    assert refused.value.message_zh and refused.value.message_en
    with fresh_database.session() as session:
        assert session.scalar(select(func.count()).select_from(CalendarDay)) == 0
    assert _calendar_entries(fresh_database) == []


def test_a_year_cannot_be_confirmed_before_its_holidays_are_entered(
    fresh_database: Database,
) -> None:
    with pytest.raises(Unprocessable) as refused, fresh_database.session() as session:
        holidays.confirm_year(session, ADMIN, 2027)
    assert "还没有录入任何放假日" in refused.value.message_zh
    _enter_spring_festival(fresh_database)
    with fresh_database.session() as session:
        holidays.confirm_year(session, ADMIN, 2027)
    with pytest.raises(Conflict), fresh_database.session() as session:
        holidays.confirm_year(session, ADMIN, 2027)
    with fresh_database.session() as session:
        assert session.scalar(select(func.count()).select_from(ConfirmedYear)) == 1


def test_a_year_the_package_knows_needs_no_confirmation(fresh_database: Database) -> None:
    with pytest.raises(Conflict) as refused, fresh_database.session() as session:
        holidays.confirm_year(session, ADMIN, 2025)
    assert "内置" in refused.value.message_zh
    with pytest.raises(NotFound), fresh_database.session() as session:
        holidays.unconfirm_year(session, ADMIN, 2027)
    with pytest.raises(NotFound), fresh_database.session() as session:
        holidays.remove_day(session, ADMIN, date(2027, 5, 1))
    with pytest.raises(Unprocessable), fresh_database.session() as session:
        holidays.confirm_year(session, ADMIN, 1999)


def test_year_status_says_known_confirmed_and_how_many_days(fresh_database: Database) -> None:
    _enter_spring_festival(fresh_database)
    with fresh_database.session() as session:
        holidays.set_day(session, ADMIN, date(2028, 1, 1), "holiday", "元旦")
        holidays.confirm_year(session, ADMIN, 2027, "国办发明电〔2026〕X号")
    with fresh_database.session() as session:
        y2026, y2027, y2028, y2029 = holidays.year_status(session, [2029, 2026, 2027, 2028])
        assert holidays.years_with_entries(session) == [2027, 2028]
    assert (y2026.known_to_package, y2026.admin_confirmed, y2026.confirmed) == (True, False, True)
    assert (y2027.known_to_package, y2027.admin_confirmed, y2027.confirmed) == (False, True, True)
    assert (y2027.holidays, y2027.workdays, y2027.admin_days) == (9, 1, 10)
    assert y2027.basis == "国办发明电〔2026〕X号" and y2027.confirmed_by_name == "平台管理员"
    assert (y2028.confirmed, y2028.holidays) == (False, 1)
    assert (y2029.confirmed, y2029.admin_days) == (False, 0)


def test_the_days_list_pages_in_date_order(fresh_database: Database) -> None:
    _enter_spring_festival(fresh_database)
    with fresh_database.session() as session:
        holidays.set_day(session, ADMIN, date(2028, 1, 1), "holiday", "元旦")
        first, total = holidays.list_days(session, 2027, 0, 4)
        rest, _ = holidays.list_days(session, 2027, 8, 4)
        everything, all_years = holidays.list_days(session, None, 0, 50)
    assert total == 10 and all_years == 11
    assert [d.day for d in first] == SPRING_FESTIVAL_2027[:4]
    assert [d.day for d in rest] == [date(2027, 2, 13), date(2027, 2, 14)]
    assert everything[-1].day == date(2028, 1, 1)


def test_every_change_is_in_the_ledger_under_the_years_case(fresh_database: Database) -> None:
    day = date(2027, 10, 1)
    with fresh_database.session() as session:
        holidays.set_day(session, ADMIN, day, "holiday", "国庆")
        holidays.set_day(session, ADMIN, day, "holiday", "国庆")  # the same again: no change
        holidays.set_day(session, ADMIN, day, "holiday", "国庆节")
        holidays.confirm_year(session, ADMIN, 2027)
        holidays.unconfirm_year(session, ADMIN, 2027)
        holidays.remove_day(session, ADMIN, day)
    entries = list(reversed(_calendar_entries(fresh_database)))
    assert [e.activity for e in entries] == [
        "calendar.day_set",
        "calendar.day_set",
        "calendar.year_confirmed",
        "calendar.year_unconfirmed",
        "calendar.day_removed",
    ]
    assert {e.case_id for e in entries} == {"calendar:2027"}
    assert entries[1].attrs == {
        "day": "2027-10-01",
        "kind": "holiday",
        "name": "国庆节",
        "previous_name": "国庆",
    }
    assert entries[2].attrs["holidays"] == 1
    assert all(e.actor_name == "平台管理员" for e in entries)
    with fresh_database.session() as session:
        assert ledger.verify(session).ok


def test_a_whole_holiday_is_entered_as_a_run_of_days_all_or_nothing(
    fresh_database: Database,
) -> None:
    with fresh_database.session() as session:
        holidays.set_day(session, ADMIN, date(2027, 2, 13), "workday", "春节")
    with pytest.raises(Conflict), fresh_database.session() as session:
        holidays.set_days(session, ADMIN, date(2027, 2, 5), date(2027, 2, 14), "holiday", "春节")
    with fresh_database.session() as session:
        assert holidays.list_days(session, 2027)[1] == 1
        rows = holidays.set_days(
            session, ADMIN, date(2027, 2, 5), date(2027, 2, 12), "holiday", "春节"
        )
    assert [r.day for r in rows] == SPRING_FESTIVAL_2027[:-1]
    assert len(_calendar_entries(fresh_database)) == 1 + 8
    for first, last, code in [
        (date(2027, 2, 12), date(2027, 2, 5), "calendar-bad-range"),
        (date(2027, 1, 1), date(2027, 2, 1), "calendar-run-too-long"),
    ]:
        with pytest.raises(Unprocessable) as refused, fresh_database.session() as session:
            holidays.set_days(session, ADMIN, first, last, "holiday", "春节")
        assert refused.value.code == code
