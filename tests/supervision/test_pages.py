"""The 数据铁笼 pages as a person sees them: the power list and a power, the workbook upload
with its errors, warnings and their forms, the big screen, and the public QR page of a case
that shows steps and timeliness but nothing personal."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from tests.helpers import csrf, sign_in
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role
from zhuyun.supervision.models import PowerCase

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sign_in(client: TestClient, demo_city: DemoResult, username: str) -> None:
    account = next(a for a in demo_city.accounts if a.username == username)
    sign_in(client, account.username, account.password)


def test_staff_browse_the_power_list_and_a_powers_process(
    client: TestClient, demo_city: DemoResult
) -> None:
    _sign_in(client, demo_city, demo_city.account(Role.CASE_HANDLER).username)
    page = client.get("/supervision/powers", params={"power_type": "处罚"})
    assert page.status_code == 200
    assert "对食品生产经营违法行为的行政处罚" in page.text and "食品经营许可" not in page.text
    assert 'id="upload-form"' not in page.text  # a case handler does not keep the list
    power = client.get("/supervision/powers/SCJG-CF-0001")
    assert "法制审核" in power.text and "权力寻租点" in power.text
    assert "50,000 – 100,000" in power.text
    assert client.get("/supervision/powers/NOPE").status_code == 404


def test_a_unit_uploads_a_bad_workbook_and_sees_every_problem(
    client: TestClient, demo_city: DemoResult
) -> None:
    _sign_in(client, demo_city, "scjg.data")
    template = client.get("/api/supervision/powers.xlsx", params={"template": True}).content
    book = load_workbook(io.BytesIO(template))
    book["权力事项"].append(["SCJG-PG-1", "scjg", "页面测试", "罚没", "依据", "王五", None])
    out = io.BytesIO()
    book.save(out)
    page = client.post(
        "/supervision/powers",
        data={"csrf_token": csrf(client)},
        files={"file": ("x.xlsx", out.getvalue(), XLSX)},
    )
    assert page.status_code == 422
    assert 'id="import-errors"' in page.text and "未保存任何内容" in page.text
    assert "“罚没”无效" in page.text


def test_the_officer_explains_on_the_page_and_the_supervisor_closes_it(
    client: TestClient, demo_city: DemoResult
) -> None:
    _sign_in(client, demo_city, "scjg.chief")
    mine = client.get("/supervision/my-warnings")
    assert mine.status_code == 200
    open_ids = re.findall(r'action="/supervision/my-warnings/(\d+)"', mine.text)
    assert open_ids, "the demo's chief has unexplained warnings"
    done = client.post(
        f"/supervision/my-warnings/{open_ids[0]}",
        follow_redirects=False,
        data={"csrf_token": csrf(client), "text": "经集体讨论决定"},
    )
    assert done.status_code == 303
    client.post("/logout", data={"csrf_token": csrf(client)})
    _sign_in(client, demo_city, "supervisor")
    listed = client.get("/supervision/warnings", params={"status": "explained"})
    assert "经集体讨论决定" in listed.text
    closed = client.post(
        f"/supervision/warnings/{open_ids[0]}",
        follow_redirects=True,
        data={"csrf_token": csrf(client), "action": "accept", "text": "属实"},
    )
    assert closed.status_code == 200 and "核查意见已记录" in closed.text


def test_the_big_screen_shows_figures_scores_and_charts(
    client: TestClient, demo_city: DemoResult
) -> None:
    _sign_in(client, demo_city, "supervisor")
    page = client.get("/supervision/dashboard")
    assert page.status_code == 200
    assert 'id="cage-data"' in page.text and "贵阳市市场监督管理局" in page.text
    assert "按时办结率" in page.text


def test_the_public_case_page_shows_steps_and_timeliness_but_no_person(
    client: TestClient, db: Database
) -> None:
    with db.session() as session:
        case = session.scalars(
            select(PowerCase).where(
                PowerCase.power_code == "SCJG-CF-0001", PowerCase.ended_at.is_not(None)
            )
        ).first()
        assert case is not None
        token = case.public_token
    page = client.get(f"/supervision/public/cases/{token}")  # nobody signed in
    assert page.status_code == 200
    assert "办件进度公开" in page.text and "法制审核" in page.text
    assert ("按时办结" in page.text) or ("超期办结" in page.text)
    for personal in ("scjg.officer", "scjg.chief", "执法人员（王）", "审核员"):
        assert personal not in page.text
    qr = client.get(f"/supervision/public/cases/{token}/qr.png")
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
    assert client.get("/supervision/public/cases/not-a-real-token").status_code == 404
