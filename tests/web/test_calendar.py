"""The working-day calendar as its users meet it: the deadline API every module's UI shows, the
/calendar page, and the platform admin who keeps next year's holidays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select

from tests.helpers import api_token, csrf, sign_in
from zhuyun.core.db import Database
from zhuyun.core.holidays import CalendarDay, ConfirmedYear
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


@pytest.fixture(autouse=True)
def calendar_restored(db: Database) -> Iterator[None]:
    """The demo city is shared by the whole run: leave its calendar as each test found it."""
    with db.session() as session:
        days = [_row(r) for r in session.scalars(select(CalendarDay))]
        years = [_row(r) for r in session.scalars(select(ConfirmedYear))]
    yield
    with db.session() as session:
        session.execute(delete(CalendarDay))
        session.execute(delete(ConfirmedYear))
        if days:
            session.execute(insert(CalendarDay), days)
        if years:
            session.execute(insert(ConfirmedYear), years)


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def _calendar_ledger(client: TestClient, admin: dict[str, str], **params: Any) -> list[dict]:
    page = client.get("/api/ledger", params={"limit": 200, **params}, headers=admin)
    assert page.status_code == 200
    return [e for e in page.json()["data"] if e["activity"].startswith("calendar.")]


def test_a_2027_holiday_set_by_the_admin_moves_a_deadline(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    ask = {"start": "2027-09-30", "working_days": 1}  # a Thursday
    assert (
        client.get("/api/calendar/deadline", params=ask, headers=handler).json()["deadline"]
        == "2027-10-01"
    )
    for day in range(1, 8):
        response = client.put(
            f"/api/calendar/days/2027-10-0{day}",
            json={"kind": "holiday", "name": "国庆节"},
            headers=admin,
        )
        assert response.status_code == 200, response.text
    assert response.json()["kind_label"] == "放假"
    moved = client.get("/api/calendar/deadline", params=ask, headers=handler).json()
    assert moved["deadline"] == "2027-10-08"
    assert moved["unconfirmed_years"] == [2027]


def test_the_deadline_for_20_working_days_from_december_2026_warns_that_2027_is_unconfirmed(
    client: TestClient, demo_city: DemoResult
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    response = client.get(
        "/api/calendar/deadline",
        params={"start": "2026-12-15", "working_days": 20},
        headers=citizen,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["deadline"].startswith("2027-01")
    assert body["confirmed"] is False
    assert body["unconfirmed_years"] == [2027]
    assert "2027 年放假安排尚未确认" in body["warning_zh"]
    assert "2027" in body["warning"]
    inside_2026 = client.get(
        "/api/calendar/deadline",
        params={"start": "2026-09-01", "working_days": 20},
        headers=citizen,
    ).json()
    assert inside_2026["confirmed"] is True and inside_2026["warning_zh"] is None


def test_confirming_a_year_changes_what_the_page_and_the_api_say(
    client: TestClient, demo_city: DemoResult
) -> None:
    reader = api_token(client, demo_city, Role.GRID_WORKER)
    admin = demo_city.account(Role.PLATFORM_ADMIN)
    sign_in(client, admin.username, admin.password)

    page = client.get("/calendar", params={"year": 2027})
    assert page.status_code == 200
    assert 'data-year-status="pending"' in page.text and "待确认（按周末推算）" in page.text
    assert 'action="/calendar/years/2027/confirm"' in page.text

    added = client.post(
        "/calendar/days",
        data={"day": "2027-02-06", "kind": "holiday", "name": "春节", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert added.headers["location"] == "/calendar?year=2027&msg=day-set"
    confirmed = client.post(
        "/calendar/years/2027/confirm",
        data={"basis": "国务院办公厅通知", "csrf_token": csrf(client)},
    )
    assert confirmed.status_code == 200  # followed the redirect back to the page
    assert 'data-year-status="confirmed"' in confirmed.text
    assert "已确认该年度放假安排" in confirmed.text and "国务院办公厅通知" in confirmed.text
    assert 'data-day="2027-02-06" data-kind="holiday"' in confirmed.text

    years = client.get("/api/calendar/years", headers=reader).json()["data"]
    y2027 = next(y for y in years if y["year"] == 2027)
    assert (y2027["confirmed"], y2027["admin_confirmed"], y2027["holidays"]) == (True, True, 1)
    assert y2027["status_label"] == "已确认"
    due = client.get(
        "/api/calendar/deadline", params={"start": "2026-12-15", "working_days": 20}, headers=reader
    ).json()
    assert due["confirmed"] is True and due["warning_zh"] is None

    taken_back = client.post("/calendar/years/2027/unconfirm", data={"csrf_token": csrf(client)})
    assert 'data-year-status="pending"' in taken_back.text
    again = client.get(
        "/api/calendar/years", params={"from_year": 2027, "to_year": 2027}, headers=reader
    ).json()
    assert again["data"][0]["confirmed"] is False


def test_a_citizen_cannot_change_the_calendar_and_the_refusal_is_ledgered(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    citizen = api_token(client, demo_city, Role.CITIZEN)
    citizen_id = client.get("/api/me", headers=citizen).json()["id"]
    attempts = [
        ("PUT", "/api/calendar/days/2027-05-03", {"kind": "holiday", "name": "劳动节"}),
        ("DELETE", "/api/calendar/days/2027-05-03", None),
        ("POST", "/api/calendar/years/2027/confirm", None),
        ("DELETE", "/api/calendar/years/2027/confirm", None),
    ]
    for method, path, body in attempts:
        response = client.request(method, path, json=body, headers=citizen)
        assert response.status_code == 403, path
        assert response.json()["detail_zh"] == "您没有执行此操作的权限。"
    refusals = client.get(
        "/api/ledger",
        params={"activity": "auth.forbidden", "actor_id": citizen_id, "limit": 10},
        headers=admin,
    ).json()["data"]
    recorded = {(e["attrs"]["method"], e["subject_id"]) for e in refusals}
    assert {(method, path) for method, path, _ in attempts} <= recorded
    assert all(e["attrs"]["permission"] == "calendar.manage" for e in refusals[:4])

    # the page shows the calendar but no forms, and its form endpoints refuse the same way
    person = demo_city.account(Role.CITIZEN)
    sign_in(client, person.username, person.password)
    page = client.get("/calendar", params={"year": 2027})
    assert page.status_code == 200 and "工作日历" in page.text
    assert "cal-day-form" not in page.text and "/confirm" not in page.text
    posted = client.post(
        "/calendar/days",
        data={"day": "2027-05-03", "kind": "holiday", "name": "劳动节", "csrf_token": csrf(client)},
        headers={"accept": "text/html"},
    )
    assert posted.status_code == 403 and "没有执行此操作的权限" in posted.text
    listed = client.get("/api/calendar/days", params={"year": 2027}, headers=citizen).json()
    assert listed["count"] == 0


@pytest.mark.parametrize(
    ("day", "body", "message"),
    [
        ("2027-02-30", {"kind": "holiday", "name": "春节"}, "不是有效日期"),
        ("20270206", {"kind": "holiday", "name": "春节"}, "YYYY-MM-DD"),
        ("2150-01-01", {"kind": "holiday", "name": "元旦"}, "2004–2100"),
        (
            "2027-02-06",
            {"kind": "vacation", "name": "春节"},
            "holiday（放假）或 workday（调休上班）",
        ),
        ("2027-02-06", {"kind": "holiday", "name": ""}, "请填写节日名称"),
        ("2027-02-06", {"kind": "holiday", "name": "春" * 41}, "最多 40 个字"),
        ("2027-02-10", {"kind": "workday", "name": "春节"}, "本来就是工作日"),
    ],
)
def test_a_bad_date_or_kind_is_a_422_with_a_chinese_message_and_changes_nothing(
    client: TestClient, demo_city: DemoResult, day: str, body: dict[str, str], message: str
) -> None:
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    before = _calendar_ledger(client, admin, activity="calendar.")
    response = client.put(f"/api/calendar/days/{day}", json=body, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert message in response.json()["detail_zh"]
    assert response.json()["detail"]
    assert client.get("/api/calendar/days", headers=admin).json()["count"] == 0
    assert _calendar_ledger(client, admin, activity="calendar.") == before


def test_the_page_form_answers_a_mistake_on_the_page_and_keeps_what_was_typed(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = demo_city.account(Role.PLATFORM_ADMIN)
    sign_in(client, admin.username, admin.password)
    typed = {"day": "2027-02-10", "kind": "workday", "name": "春节补班", "year": "2027"}
    response = client.post("/calendar/days", data={**typed, "csrf_token": csrf(client)})
    assert response.status_code == 422
    assert "flash-error" in response.text and "本来就是工作日" in response.text
    assert 'value="2027-02-10"' in response.text and 'value="春节补班"' in response.text
    bad_kind = client.post(
        "/calendar/days",
        data={"day": "2027-02-06", "kind": "maybe", "name": "春节", "csrf_token": csrf(client)},
    )
    assert bad_kind.status_code == 422 and "类型须为" in bad_kind.text
    empty = client.post("/calendar/years/2031/confirm", data={"csrf_token": csrf(client)})
    assert empty.status_code == 422 and "还没有录入任何放假日" in empty.text
    missing = client.post("/calendar/days/2031-05-01/delete", data={"csrf_token": csrf(client)})
    assert missing.status_code == 404 and "日历表中没有" in missing.text
    no_token = client.post("/calendar/days", data=typed)
    assert no_token.status_code == 403


def test_every_calendar_change_is_in_the_ledger(client: TestClient, demo_city: DemoResult) -> None:
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    steps = [
        ("PUT", "/api/calendar/days/2031-01-01", {"kind": "holiday", "name": "元旦"}, 200),
        ("PUT", "/api/calendar/days/2031-01-01", {"kind": "holiday", "name": "元旦节"}, 200),
        ("PUT", "/api/calendar/days/2031-01-01", {"kind": "workday", "name": "元旦"}, 409),
        ("POST", "/api/calendar/years/2031/confirm", {"basis": "通知"}, 200),
        ("POST", "/api/calendar/years/2031/confirm", None, 409),
        ("DELETE", "/api/calendar/years/2031/confirm", None, 200),
        ("DELETE", "/api/calendar/days/2031-01-01", None, 204),
        ("DELETE", "/api/calendar/days/2031-01-01", None, 404),
    ]
    for method, path, body, status in steps:
        response = client.request(method, path, json=body, headers=admin)
        assert response.status_code == status, (method, path, response.text)
    entries = _calendar_ledger(client, admin, case_id="calendar:2031")
    assert [e["activity"] for e in reversed(entries)] == [
        "calendar.day_set",
        "calendar.day_set",
        "calendar.year_confirmed",
        "calendar.year_unconfirmed",
        "calendar.day_removed",
    ]
    assert entries[-2]["attrs"]["previous_name"] == "元旦"
    assert entries[2]["attrs"]["basis"] == "通知"
    assert {e["role"] for e in entries} == {"platform_admin"}


def test_the_days_list_pages_and_the_years_list_defaults_to_the_years_in_use(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    for day in ("2032-10-01", "2032-10-02", "2032-10-03"):
        client.put(
            f"/api/calendar/days/{day}", json={"kind": "holiday", "name": "国庆节"}, headers=admin
        )
    reader = api_token(client, demo_city, Role.ENTERPRISE)
    first = client.get(
        "/api/calendar/days", params={"year": 2032, "limit": 2}, headers=reader
    ).json()
    assert first["count"] == 3 and [d["day"] for d in first["data"]] == ["2032-10-01", "2032-10-02"]
    rest = client.get(
        "/api/calendar/days", params={"year": 2032, "offset": 2, "limit": 2}, headers=reader
    ).json()
    assert [d["day"] for d in rest["data"]] == ["2032-10-03"]
    years = [y["year"] for y in client.get("/api/calendar/years", headers=reader).json()["data"]]
    assert 2032 in years and 2026 in years
    wrong = client.get(
        "/api/calendar/years", params={"from_year": 2030, "to_year": 2020}, headers=reader
    )
    assert wrong.status_code == 422 and "早于" in wrong.json()["detail_zh"]
    too_early = client.get("/api/calendar/days", params={"year": 1990}, headers=reader)
    assert too_early.status_code == 422 and "2004–2100" in too_early.json()["detail_zh"]
    bad_start = client.get(
        "/api/calendar/deadline", params={"start": "soon", "working_days": 3}, headers=reader
    )
    assert bad_start.status_code == 422 and bad_start.json()["detail_zh"]


def test_everyone_finds_the_calendar_in_the_navigation(
    client: TestClient, demo_city: DemoResult
) -> None:
    worker = demo_city.account(Role.GRID_WORKER)
    sign_in(client, worker.username, worker.password)
    home = client.get("/")
    assert 'href="/calendar"' in home.text
    assert client.get("/calendar").text.count('class="cal-month"') == 12  # this year
    page = client.get("/calendar", params={"year": 2026})
    assert page.status_code == 200
    assert 'data-year-status="confirmed"' in page.text  # 2026 is built in
    assert 'data-day="2026-10-01" data-kind="holiday"' in page.text
    assert 'data-day="2026-09-20" data-kind="makeup"' in page.text  # a make-up Sunday
    assert client.get("/calendar", params={"year": 1990}).status_code == 422


def test_an_admin_enters_a_whole_holiday_from_the_page_in_one_go(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = demo_city.account(Role.PLATFORM_ADMIN)
    sign_in(client, admin.username, admin.password)
    run = {"day": "2027-10-01", "until": "2027-10-07", "kind": "holiday", "name": "国庆节"}
    entered = client.post("/calendar/days", data={**run, "csrf_token": csrf(client)})
    assert entered.status_code == 200
    assert "已保存该日的放假/调休安排" in entered.text
    assert "国庆节 10月1日–7日 放假" in entered.text
    assert entered.text.count('data-kind="holiday"') >= 7
    # a run that meets a make-up workday is refused whole
    client.post(
        "/calendar/days",
        data={"day": "2027-10-09", "kind": "workday", "name": "国庆节", "csrf_token": csrf(client)},
    )
    clash = {"day": "2027-10-08", "until": "2027-10-10", "kind": "holiday", "name": "延长"}
    refused = client.post("/calendar/days", data={**clash, "csrf_token": csrf(client)})
    assert refused.status_code == 409 and "不能既放假又调休上班" in refused.text
    assert 'value="2027-10-10"' in refused.text  # the form keeps what was typed
    listed = client.get("/calendar", params={"year": 2027, "limit": 50}).text
    assert 'data-day="2027-10-08" data-kind="workday"' in listed and "延长" not in listed
