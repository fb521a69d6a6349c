"""Every rule template, with cases that must fire and cases that must not. Entries carry
chosen times (Beijing) and run through the evaluator in a session rolled back afterwards."""

from __future__ import annotations

import pytest

from tests.supervision.rules_kit import Kit, at, kit, templates
from zhuyun.core.db import Database
from zhuyun.core.errors import Unprocessable
from zhuyun.core.ledger import SYSTEM
from zhuyun.supervision.remit import ALL_UNITS
from zhuyun.supervision.rules.engine import iqr_fences
from zhuyun.supervision.rules.service import get_rule, update_rule
from zhuyun.supervision.rules.templates import check_params

# Wednesday 2025-03-12 and the following working days: ordinary office hours.
BY_THE_BOOK = (
    ("register", "2025-03-12 09:30"),
    ("review", "2025-03-13 10:00"),
    ("decide", "2025-03-14 11:00"),
    ("close", "2025-03-17 15:00"),
)


@pytest.fixture
def k(db: Database):  # type: ignore[no-untyped-def]
    with kit(db) as rules_kit:
        yield rules_kit


def test_a_case_by_the_book_raises_nothing(k: Kit) -> None:
    assert k.run(*k.case("ok", *BY_THE_BOOK)) == []


def test_a_skipped_mandatory_step_is_red_but_a_skipped_optional_one_is_not(k: Kit) -> None:
    skipped = k.run(
        *k.case("skip", ("register", "2025-03-12 09:30"), ("decide", "2025-03-13 10:00"))
    )
    assert templates(skipped) == ["step_order"]
    assert skipped[0].level == "red" and skipped[0].details["skipped"] == ["review"]
    assert "法制审核" not in skipped[0].message_zh and "审核" in skipped[0].message_zh
    # "inspect" is optional: going from review to decide without it is fine
    assert k.run(*k.case("optional", *BY_THE_BOOK)) == []


def test_a_repeated_step_is_yellow_and_an_out_of_order_step_red(k: Kit) -> None:
    repeated = k.run(
        *k.case(
            "again",
            ("register", "2025-03-12 09:30"),
            ("review", "2025-03-12 10:00"),
            ("review", "2025-03-12 11:00"),
        )
    )
    assert [(f.rule.template, f.level) for f in repeated] == [("step_order", "yellow")]
    back = k.run(
        *k.case(
            "back",
            ("register", "2025-03-12 09:30"),
            ("review", "2025-03-12 10:00"),
            ("decide", "2025-03-12 11:00"),
            ("inspect", "2025-03-12 15:00"),
        )
    )
    assert [(f.rule.template, f.level, f.key) for f in back] == [
        ("step_order", "red", "order:inspect")
    ]


def test_a_step_done_after_its_working_day_limit_is_red(k: Kit) -> None:
    # review has 2 working days after the day of register (Wed) → due end of Friday
    on_time = k.run(
        *k.case("in-time", ("register", "2025-03-12 09:30"), ("review", "2025-03-14 17:00"))
    )
    assert on_time == []
    late = k.run(*k.case("late", ("register", "2025-03-12 09:30"), ("review", "2025-03-17 09:00")))
    assert [(f.rule.template, f.level) for f in late] == [("time_limit", "red")]


def test_the_clock_warns_yellow_at_80_percent_then_red_once_overdue(k: Kit) -> None:
    # register on Tuesday 2025-09-30: 2 working days skip the National Day week (1–8 Oct)
    # and end on Friday 10 October, with Saturday 11 October a make-up working day after it
    k.run(k.entry("clock", "register", "2025-09-30 10:00"))
    assert k.sweep("2025-10-06 10:00") == []  # a week later, but a holiday week
    yellow = k.sweep("2025-10-09 18:00")
    assert [(f.rule.template, f.level) for f in yellow] == [("time_limit", "yellow")]
    assert k.sweep("2025-10-10 12:00") == []  # yellow is said once
    red = k.sweep("2025-10-11 08:00")
    assert [(f.rule.template, f.level) for f in red] == [("time_limit", "red")]
    assert k.sweep("2025-10-12 08:00") == []  # and red once


def test_an_amount_outside_the_discretion_range_is_red(k: Kit) -> None:
    start = k.entry("fine", "register", "2025-03-12 09:30")
    review = k.entry("fine", "review", "2025-03-12 10:00")
    inside = k.run(
        start, review, k.entry("fine", "decide", "2025-03-12 11:00", amount=3000, article="第十条")
    )
    assert inside == []
    k2 = [
        k.entry("fine2", "register", "2025-03-12 09:30"),
        k.entry("fine2", "review", "2025-03-12 10:00"),
        k.entry("fine2", "decide", "2025-03-12 11:00", amount="8000", article="第十条"),
    ]
    outside = k.run(*k2)
    assert [(f.rule.template, f.level) for f in outside] == [("discretion_range", "red")]
    assert outside[0].details == {"amount": 8000.0, "min": 1000, "max": 5000}
    unlisted = k.run(
        k.entry("fine3", "register", "2025-03-12 09:30"),
        k.entry("fine3", "review", "2025-03-12 10:00"),
        k.entry("fine3", "decide", "2025-03-12 11:00", amount=1e6, article="第九条"),
    )
    assert unlisted == []  # no benchmark for that article: nothing to hold it against


def test_iqr_fences_follow_tukey() -> None:
    assert iqr_fences([1, 2, 3, 4, 5, 6, 7, 8, 9], 1.5) == (-3.0, 13.0)
    assert iqr_fences([1, 2, 3], 1.5) is None


def _decided(k: Kit, name: str, amount: float, article: str = "第十一条") -> list:  # type: ignore[type-arg]
    return k.run(
        k.entry(name, "register", "2025-03-12 09:30"),
        k.entry(name, "review", "2025-03-12 10:00"),
        k.entry(name, "decide", "2025-03-12 11:00", amount=amount, article=article),
    )


def test_an_amount_far_from_its_peers_is_yellow_only_with_enough_history(k: Kit) -> None:
    for n in range(7):
        assert _decided(k, f"peer{n}", 1000 + 10 * n) == []
    assert _decided(k, "early", 90_000) == []  # 7 peers: below the 8 the rule needs
    for n in range(7, 12):
        assert _decided(k, f"peer{n}", 1000 + 10 * n) == []
    assert _decided(k, "usual", 1050) == []
    far = _decided(k, "far", 60_000)
    assert [(f.rule.template, f.level) for f in far] == [("amount_outlier", "yellow")]


def test_the_same_person_reviewing_and_deciding_is_red(k: Kit) -> None:
    two = k.run(
        k.entry("two", "register", "2025-03-12 09:30", actor=901),
        k.entry("two", "review", "2025-03-12 10:00", actor=902),
        k.entry("two", "decide", "2025-03-12 11:00", actor=903),
    )
    assert two == []
    one = k.run(
        k.entry("one", "register", "2025-03-12 09:30", actor=901),
        k.entry("one", "review", "2025-03-12 10:00", actor=902),
        k.entry("one", "decide", "2025-03-12 11:00", actor=902),
    )
    assert [(f.rule.template, f.level, f.officer_id) for f in one] == [("segregation", "red", 902)]


def _whole_case(k: Kit, name: str, close_at: str) -> list:  # type: ignore[type-arg]
    return k.run(
        k.entry(name, "register", "2025-03-03 09:30"),
        k.entry(name, "review", "2025-03-03 10:00"),
        k.entry(name, "decide", "2025-03-03 11:00"),
        k.entry(name, "close", close_at),
    )


def test_a_case_far_faster_than_the_powers_history_is_yellow(k: Kit) -> None:
    for n in range(12):
        assert _whole_case(k, f"usual{n}", f"2025-03-0{4 + n % 2} {10 + n % 6}:00") == []
    fast = _whole_case(k, "fast", "2025-03-03 11:05")
    assert [(f.rule.template, f.key) for f in fast] == [("temporal_profile", "fast")]
    assert "过快" in fast[0].message_zh


def test_actions_out_of_hours_are_yellow_and_a_make_up_working_day_is_not_out(k: Kit) -> None:
    assert k.run(k.entry("h1", "register", "2025-03-12 10:00")) == []
    late = k.run(k.entry("h2", "register", "2025-03-12 22:15"))
    assert [(f.rule.template, f.level) for f in late] == [("out_of_hours", "yellow")]
    weekend = k.run(k.entry("h3", "register", "2025-03-15 10:00"))  # a Saturday
    assert templates(weekend) == ["out_of_hours"]
    assert k.run(k.entry("h4", "register", "2025-09-28 10:00")) == []  # make-up Sunday
    assert k.run(k.entry("h5", "register", "2025-03-15 10:00", actor=None)) == []  # the system


def _read(k: Kit, purpose: str, unit_id: int | None = None, point: bool = True):  # type: ignore[no-untyped-def]
    entry = k.entry("-", "register", "2025-03-12 10:00", actor=905)
    entry.activity, entry.case_id, entry.subject_id = "exchange.query", "resource:1", "1"
    entry.attrs = {
        "point_lookup": point,
        "purpose": purpose,
        "consumer_unit_id": unit_id or k.unit_id,
    }
    return k.run(entry)


def test_reading_citizens_data_needs_an_open_case_of_ones_own_unit(k: Kit) -> None:
    k.run(k.entry("open", "register", "2025-03-12 09:00"))
    case = f"{k.power}:open"
    assert _read(k, f"核查当事人身份 case:{case}") == []
    assert _read(k, "随便看看", point=False) == []  # not a lookup of particular people
    nothing = _read(k, "随便看看")
    assert [(f.rule.template, f.level, f.officer_id) for f in nothing] == [
        ("data_without_case", "red", 905)
    ]
    assert templates(_read(k, f"case:{case}", unit_id=k.unit_id + 100_000)) == [
        "data_without_case"
    ]  # another unit's case does not count
    k.run(*k.case("done", *BY_THE_BOOK))
    assert templates(_read(k, f"case:{k.power}:done")) == ["data_without_case"]  # it ended


def test_a_rule_for_one_power_overrides_the_city_rule_and_can_be_switched_off(k: Kit) -> None:
    k.rule("out_of_hours", start="07:00", end="23:00")
    assert k.run(k.entry("o1", "register", "2025-03-12 22:15")) == []  # inside its own hours
    k.rule("segregation", pairs=[["review", "decide"]])
    update_rule(
        k.session,
        SYSTEM,
        ALL_UNITS,
        get_rule(k.session, f"segregation.{k.power.lower()}"),
        params=None,
        enabled=False,
    )
    same_person = k.run(
        k.entry("s1", "register", "2025-03-12 09:30"),
        k.entry("s1", "review", "2025-03-12 10:00", actor=902),
        k.entry("s1", "decide", "2025-03-12 11:00", actor=902),
    )
    # a switched-off rule is not in force: the city-wide rule of the template applies
    assert templates(same_person) == ["segregation"]
    assert same_person[0].rule.code == "segregation"


@pytest.mark.parametrize(
    ("template", "params", "field"),
    [
        ("amount_outlier", {"k": -1}, "params.k"),
        ("amount_outlier", {"k": "wide"}, "params.k"),
        ("time_limit", {"yellow_ratio": 1.5}, "params.yellow_ratio"),
        ("out_of_hours", {"start": "25:00"}, "params.start"),
        ("out_of_hours", {"start": "19:00", "end": "08:00"}, "params.end"),
        ("escalation", {"leader_days": 6}, "params.discipline_days"),
        ("segregation", {"pairs": [["review", "review"]]}, "params.pairs"),
        ("time_limit", {"colour": "blue"}, "params.colour"),
    ],
)
def test_bad_thresholds_are_refused_with_the_field_named(
    template: str, params: dict, field: str
) -> None:  # type: ignore[type-arg]
    with pytest.raises(Unprocessable) as refused:
        check_params(template, params)
    assert refused.value.errors[0]["field"] == field
    assert refused.value.message_zh and refused.value.message_en


def test_a_time_of_day_in_beijing_is_what_counts() -> None:
    assert at("2025-03-12 22:15").utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]
