"""The pages: the portal finds a service by keyword and life event; the item page shows the
materials spared; a citizen applies, uploads and tracks; the workbench and dashboard show
what a handler and a unit leader need; nobody sees another's case page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.helpers import sign_in
from tests.services.conftest import PDF, PENSION, STARTUP
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


def _login(client: TestClient, demo_city: DemoResult, username: str) -> None:
    account = next(a for a in demo_city.accounts if a.username == username)
    sign_in(client, account.username, account.password)


def test_portal_finds_items_by_keyword_and_life_event_without_signing_in(
    client: TestClient,
) -> None:
    page = client.get("/services", params={"q": "参保"})
    assert page.status_code == 200
    assert "城乡居民基本养老保险参保登记" in page.text and "企业开办（多证合一）" not in page.text
    births = client.get("/services", params={"life_event": "出生"})
    assert "出生登记（新生儿落户）" in births.text
    item = client.get(f"/services/items/{STARTUP}")
    assert "免提交 2 / 4" in item.text and "营业执照登记" in item.text
    assert "登录后申请" in item.text


def test_a_citizen_applies_uploads_and_tracks_on_the_pages(
    client: TestClient, demo_city: DemoResult
) -> None:
    _login(client, demo_city, demo_city.account(Role.CITIZEN).username)
    form = client.get(f"/services/items/{STARTUP}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text)
    assert token and key
    fields = {
        "csrf_token": token.group(1),
        "idempotency_key": key.group(1),
        "consent": "yes",
        "name": "贵阳页面科技有限公司",
        "entity_type": "有限责任公司",
        "registered_capital": "5万元",
        "address": "贵阳市乌当区新添大道1号",
        "business_scope": "技术服务",
    }
    applied = client.post(f"/services/items/{STARTUP}/apply", data=fields, follow_redirects=False)
    assert applied.status_code == 303
    url = applied.headers["location"]
    again = client.post(f"/services/items/{STARTUP}/apply", data=fields, follow_redirects=False)
    assert again.headers["location"] == url, "a double submit lands on the same case"
    case = client.get(url)
    assert "待补充材料" in case.text and "已共享获取（免提交）" in case.text
    uploads = re.findall(r'action="(/services/cases/BJ\d+/materials/\d+)"', case.text)
    assert len(uploads) == 2
    for action in uploads:
        done = client.post(
            action,
            data={"csrf_token": token.group(1)},
            files={"file": ("材料.pdf", PDF, "application/pdf")},
            follow_redirects=False,
        )
        assert done.status_code == 303
    tracked = client.get(url)
    assert "办理中" in tracked.text and "剩余" in tracked.text
    mine = client.get("/services/mine")
    assert url.rsplit("/", 1)[1] in mine.text


def test_a_missing_field_comes_back_with_the_message_and_what_was_typed(
    client: TestClient, demo_city: DemoResult
) -> None:
    _login(client, demo_city, demo_city.account(Role.CITIZEN).username)
    form = client.get(f"/services/items/{PENSION}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    response = client.post(
        f"/services/items/{PENSION}/apply",
        data={"csrf_token": token.group(1), "idempotency_key": "page-missing-1", "consent": "yes"},
    )
    assert response.status_code == 422 and "缴费档次" in response.text


def test_workbench_and_dashboard_for_staff_and_not_for_citizens(
    client: TestClient, demo_city: DemoResult
) -> None:
    _login(client, demo_city, "rsj.handler")
    bench = client.get("/services/workbench")
    assert bench.status_code == 200 and "办件工作台" in bench.text and "BJ" in bench.text
    board = client.get("/services/dashboard")
    assert board.status_code == 200 and "全程网办率" in board.text and "材料减免率" in board.text
    assert "services-chart-data" in board.text
    client.cookies.clear()
    _login(client, demo_city, demo_city.account(Role.CITIZEN).username)
    assert client.get("/services/workbench").status_code == 403


def test_public_ratings_page(client: TestClient) -> None:
    page = client.get("/services/ratings")
    assert page.status_code == 200 and "贵阳市人力资源和社会保障局" in page.text


def test_a_handler_closes_a_rectification_from_the_workbench(
    client: TestClient, demo_city: DemoResult
) -> None:
    _login(client, demo_city, "rsj.handler")
    bench = client.get("/services/workbench")
    form = re.search(r'action="(/services/rectifications/\d+)"', bench.text)
    token = re.search(r'name="csrf_token" value="([^"]+)"', bench.text)
    assert form and token, "the demo's poor rating left a rectification open"
    done = client.post(
        form.group(1),
        data={"csrf_token": token.group(1), "measures": "增加进度短信提醒", "callback": "已回访"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert form.group(1) not in client.get("/services/workbench").text
