"""A dataset's page shows its first rows and, when a column is a category, a chart of how
the rows fall into it — read from the department's database like any API call — and the
portal counts API calls and downloads for the usage statistics (but not its own preview)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from zhuyun.core.db import Database
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.opendata import usage


def dataset(client: TestClient, title: str) -> dict[str, object]:
    found = client.get("/api/3/action/package_search", params={"q": title, "rows": 20}).json()
    return dict(next(d for d in found["result"]["results"] if d["title"] == title))


@pytest.fixture
def source(demo_settings: Settings) -> sqlite3.Connection:
    path = Path(demo_settings.data_dir) / "sources" / "scjg.sqlite"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def test_the_page_previews_the_first_rows_and_charts_a_category(
    client: TestClient, demo_city: DemoResult, source: sqlite3.Connection
) -> None:
    penalties = dataset(client, "市场监管行政处罚信息")
    page = client.get(f"/opendata/datasets/{penalties['name']}")
    assert page.status_code == 200
    html = page.text
    assert "data-preview-table" in html and "数据预览" in html
    (first,) = source.execute(
        "SELECT decision_no FROM market_penalties ORDER BY decision_no LIMIT 1"
    ).fetchone()
    assert first in html
    data = json.loads(
        re.search(r'id="opendata-data">(.*?)</script>', html, re.S).group(1)  # type: ignore[union-attr]
    )
    bars = {bar["name"]: bar["value"] for bar in data["categories"]}
    (total,) = source.execute("SELECT count(*) FROM market_penalties").fetchone()
    assert len(bars) >= 2 and sum(bars.values()) == total
    assert 'data-od-chart="categories"' in html
    assert "download.xlsx" in html


def test_a_conditionally_open_dataset_page_asks_for_a_key_instead_of_showing_rows(
    client: TestClient, demo_city: DemoResult
) -> None:
    register = dataset(client, "市场主体登记信息")
    html = client.get(f"/opendata/datasets/{register['name']}").text
    assert "data-preview-note" in html and "开发者中心" in html
    assert "data-preview-table" not in html


def test_api_calls_and_downloads_are_counted_but_the_preview_is_not(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    licences = dataset(client, "营业执照电子证照信息")
    resource_id = int(str(licences["id"]))

    def totals() -> usage.UsageTotals:
        with db.session() as session:
            return usage.totals_of(session, resource_id)

    before = totals()
    client.get(f"/opendata/datasets/{licences['name']}")
    client.get(
        "/api/3/action/datastore_search",
        params={"resource_id": f"{licences['name']}-data", "limit": 2},
    )
    client.get(f"/opendata/datasets/{licences['name']}/download.csv")
    after = totals()
    assert after.views == before.views + 1
    assert after.api_calls == before.api_calls + 1  # the page's own preview is not an API call
    assert after.downloads == before.downloads + 1
