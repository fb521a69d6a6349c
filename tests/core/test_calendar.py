"""Working days: statutory holidays, make-up working days, and years nobody has published yet."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhuyun.core.calendar import WorkingCalendar, default_calendar


@pytest.fixture
def calendar() -> WorkingCalendar:
    return default_calendar()


def test_national_day_is_not_a_working_day(calendar: WorkingCalendar) -> None:
    assert not calendar.is_working_day(date(2024, 10, 1))
    assert calendar.holiday_name(date(2024, 10, 1)) == "国庆节"


def test_the_sunday_before_national_day_2024_is_a_make_up_working_day(
    calendar: WorkingCalendar,
) -> None:
    assert date(2024, 9, 29).weekday() == 6
    assert calendar.is_working_day(date(2024, 9, 29))


def test_the_sunday_swapped_for_spring_festival_2025_is_a_working_day(
    calendar: WorkingCalendar,
) -> None:
    assert date(2025, 1, 26).weekday() == 6
    assert calendar.is_working_day(date(2025, 1, 26))
    assert not calendar.is_working_day(date(2025, 1, 29))  # 春节 初一


def test_a_ten_working_day_deadline_skips_the_national_day_week(
    calendar: WorkingCalendar,
) -> None:
    # Friday 27 September: 9/29 (make-up Sunday), 9/30, then 10/8–10/12 (10/12 a make-up
    # Saturday), 10/14, 10/15, 10/16.
    assert calendar.add_working_days(date(2024, 9, 27), 10) == date(2024, 10, 16)
    assert calendar.working_days_between(date(2024, 9, 27), date(2024, 10, 16)) == 10


def test_the_start_day_never_counts_towards_a_deadline(calendar: WorkingCalendar) -> None:
    monday = date(2024, 6, 3)
    assert calendar.add_working_days(monday, 1) == date(2024, 6, 4)
    saturday = date(2024, 6, 1)
    assert calendar.add_working_days(saturday, 1) == monday


def test_zero_working_days_is_the_start_day_itself_even_on_a_holiday(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.add_working_days(date(2024, 6, 3), 0) == date(2024, 6, 3)
    assert calendar.add_working_days(date(2024, 10, 1), 0) == date(2024, 10, 1)


def test_a_negative_number_of_working_days_is_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2024, 6, 3), -1)


def test_working_days_between_is_negative_when_the_end_comes_first(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.working_days_between(date(2024, 6, 24), date(2024, 6, 17)) == -5
    assert calendar.working_days_between(date(2024, 6, 3), date(2024, 6, 3)) == 0


def test_deadlines_running_into_2027_do_not_crash_and_weekends_are_off(
    calendar: WorkingCalendar,
) -> None:
    assert not calendar.is_working_day(date(2027, 1, 2))  # Saturday
    assert not calendar.is_working_day(date(2027, 1, 3))  # Sunday
    assert calendar.is_working_day(date(2027, 1, 4))  # Monday
    assert calendar.add_working_days(date(2026, 12, 31), 3) == date(2027, 1, 5)
    assert calendar.working_days_between(date(2026, 12, 25), date(2027, 1, 8)) == 10
    assert calendar.holiday_name(date(2027, 2, 8)) is None


def test_years_the_package_knows_are_confirmed_and_2027_is_not(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.is_confirmed_year(2024)
    assert calendar.is_confirmed_year(2026)
    assert not calendar.is_confirmed_year(2027)


SPRING_FESTIVAL_2027 = {
    date(2027, 2, day): "春节" for day in range(5, 12)
}  # Friday 5 to Thursday 11 February


def test_an_admins_holiday_table_is_honoured_but_confirms_nothing_by_itself() -> None:
    calendar = WorkingCalendar(holidays=SPRING_FESTIVAL_2027, makeup_workdays=[date(2027, 2, 13)])
    assert not calendar.is_working_day(date(2027, 2, 6))
    assert calendar.holiday_name(date(2027, 2, 6)) == "春节"
    assert not calendar.is_working_day(date(2027, 2, 8))  # a Monday
    assert calendar.is_working_day(date(2027, 2, 13))  # a make-up Saturday
    assert calendar.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 12)
    assert not calendar.is_confirmed_year(2027)


def test_an_admin_confirms_a_year_by_listing_it() -> None:
    calendar = WorkingCalendar(holidays=SPRING_FESTIVAL_2027, confirmed_years=[2027])
    assert calendar.is_confirmed_year(2027)
    assert not calendar.is_confirmed_year(2028)


def test_admin_tables_override_the_package() -> None:
    calendar = WorkingCalendar(
        holidays={date(2024, 6, 3): "临时休假"}, makeup_workdays=[date(2024, 10, 1)]
    )
    assert not calendar.is_working_day(date(2024, 6, 3))
    assert calendar.holiday_name(date(2024, 6, 3)) == "临时休假"
    assert calendar.is_working_day(date(2024, 10, 1))


def test_a_day_cannot_be_both_a_holiday_and_a_make_up_working_day() -> None:
    with pytest.raises(ValueError, match="2027-02-06"):
        WorkingCalendar(holidays=SPRING_FESTIVAL_2027, makeup_workdays=[date(2027, 2, 6)])


@given(
    start=st.dates(min_value=date(2004, 1, 1), max_value=date(2030, 12, 31)),
    n=st.integers(0, 60),
)
def test_adding_n_working_days_lands_on_a_working_day_exactly_n_working_days_later(
    start: date, n: int
) -> None:
    calendar = default_calendar()
    end = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, end) == n
    if n:
        assert calendar.is_working_day(end)
        assert calendar.add_working_days(start, n - 1) < end
        assert end - start <= timedelta(days=3 * n + 14)
