"""The home dashboard and the ledger view, as the people who use them see them."""

from __future__ import annotations

import sqlite3

from fastapi.testclient import TestClient

from tests.helpers import api_token, csrf, sign_in
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


def test_the_dashboard_population_matches_the_police_population_register(
    client: TestClient, demo_city: DemoResult, demo_settings: Settings
) -> None:
    with sqlite3.connect(demo_settings.sources_dir / "gongan.sqlite") as source:
        people = source.execute("SELECT COUNT(*) FROM people").fetchone()[0]
        per_district = dict(
            source.execute(
                "SELECT substr(domicile_division_code, 1, 6), COUNT(*) FROM people GROUP BY 1"
            )
        )
    board = client.get("/api/dashboard", headers=api_token(client, demo_city, Role.CITIZEN))
    assert board.status_code == 200
    figures = {f["label"]: f["value"] for f in board.json()["figures"]}
    assert figures["户籍人口"] == f"{people:,}"
    bars = {
        item["name"]: item["value"] for item in board.json()["charts"]["population_by_district"]
    }
    assert sum(bars.values()) == people
    assert bars["南明区"] == per_district["520102"]


def test_the_dashboard_page_shows_the_key_figures(
    client: TestClient, demo_city: DemoResult
) -> None:
    handler = demo_city.account(Role.CASE_HANDLER)
    sign_in(client, handler.username, handler.password)
    page = client.get("/")
    assert page.status_code == 200
    for label in ("户籍人口", "市场主体", "政务部门", "社区（村）"):
        assert f'data-figure="{label}"' in page.text
    assert "审计台账" not in page.text  # a case handler has no ledger menu


def test_an_admin_reads_and_verifies_the_ledger_page(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = demo_city.account(Role.PLATFORM_ADMIN)
    sign_in(client, admin.username, admin.password)
    page = client.get("/ledger", params={"activity": "unit."})
    assert page.status_code == 200
    assert "新建单位" in page.text
    verified = client.post("/ledger/verify", data={"csrf_token": csrf(client)})
    assert verified.status_code == 200
    assert "哈希链完整" in verified.text or "完整" in verified.text


def test_a_citizen_is_refused_the_ledger_page_with_a_readable_message(
    client: TestClient, demo_city: DemoResult
) -> None:
    citizen = demo_city.account(Role.CITIZEN)
    sign_in(client, citizen.username, citizen.password)
    page = client.get("/ledger", headers={"accept": "text/html"})
    assert page.status_code == 403
    assert "没有执行此操作的权限" in page.text


def test_the_ledger_api_verifies_the_demo_chain(client: TestClient, demo_city: DemoResult) -> None:
    headers = api_token(client, demo_city, Role.SUPERVISOR)
    result = client.post("/api/ledger/verify", headers=headers)
    assert result.status_code == 200
    assert result.json()["ok"] is True
    assert result.json()["checked"] > 100
    page = client.get("/api/ledger", params={"limit": 5, "activity": "demo."}, headers=headers)
    assert page.json()["data"][0]["activity"] == "demo.built"


def test_pages_carry_security_headers_and_assets_come_from_the_package(client: TestClient) -> None:
    page = client.get("/login")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert client.get("/static/css/zhuyun.css").status_code == 200
    assert "http://" not in page.text.replace("http://www.w3.org", "")
    assert "https://" not in page.text.replace("https://www.w3.org", "")


def test_unknown_addresses_give_a_problem_or_a_page(client: TestClient) -> None:
    api = client.get("/api/nothing-here")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    page = client.get("/nothing-here", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "找不到" in page.text


def test_health_reports_the_database(client: TestClient) -> None:
    health = client.get("/api/health").json()
    assert health["status"] == "ok"
    assert health["database"] in {"sqlite", "postgresql"}


def test_every_activity_a_module_records_has_a_chinese_label() -> None:
    import re
    from pathlib import Path

    from zhuyun.web.service import ACTIVITY_LABELS_ZH

    source = Path(__file__).resolve().parents[2] / "src" / "zhuyun"
    # an activity is the string literal just before the Subject(...) of a ledger call
    activity = re.compile(r"\"([a-z]+\.[a-z_]+)\",\s+[Ss]ubject\(")
    recorded = set()
    for path in source.rglob("*.py"):
        recorded |= set(activity.findall(path.read_text("utf-8")))
    assert {"auth.login", "exchange.query", "catalog.published"} <= recorded
    assert sorted(recorded - set(ACTIVITY_LABELS_ZH)) == []
