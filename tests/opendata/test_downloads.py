"""An open dataset downloads in the formats people open it with — CSV for Excel (with a
BOM), JSON, XLSX and Parquet — holding exactly the rows of the department's database and
only the opened items."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult

COLUMNS = ["decision_no", "party_name", "credit_code", "violation", "penalty_type"]


@pytest.fixture
def penalties(client: TestClient, demo_city: DemoResult) -> str:
    """The download address of the market regulator's penalties dataset."""
    found = client.get("/api/3/action/package_search", params={"q": "市场监管行政处罚"}).json()
    dataset = next(d for d in found["result"]["results"] if d["title"] == "市场监管行政处罚信息")
    url = str(dataset["resources"][0]["url"])
    assert url.endswith("/download.csv")
    return url.removeprefix("http://testserver").removesuffix(".csv")


@pytest.fixture
def direct(demo_settings: Settings) -> list[tuple[object, ...]]:
    path = Path(demo_settings.data_dir) / "sources" / "scjg.sqlite"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source:
        return source.execute(
            f"SELECT {', '.join(COLUMNS)}, fine_amount FROM market_penalties ORDER BY decision_no"
        ).fetchall()


def test_the_csv_opens_in_excel_and_holds_the_sources_rows(
    client: TestClient, penalties: str, direct: list[tuple[object, ...]]
) -> None:
    answer = client.get(f"{penalties}.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith("\ufeff".encode())  # Excel reads the Chinese right
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[: len(COLUMNS)] == COLUMNS
    # in the source's own order (an export holds no sort): the same rows
    assert sorted(tuple(r[: len(COLUMNS)]) for r in body) == [d[: len(COLUMNS)] for d in direct]


def test_json_xlsx_and_parquet_hold_the_same_rows(
    client: TestClient, penalties: str, direct: list[tuple[object, ...]]
) -> None:
    records = sorted(
        json.loads(client.get(f"{penalties}.json").content), key=lambda r: r["decision_no"]
    )
    assert [r["decision_no"] for r in records] == [d[0] for d in direct]
    assert [r["fine_amount"] for r in records] == [d[-1] for d in direct]

    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"{penalties}.xlsx").content))
    sheet = list(workbook.active.iter_rows(values_only=True))
    assert list(sheet[0][: len(COLUMNS)]) == COLUMNS
    assert sorted(row[0] for row in sheet[1:]) == [d[0] for d in direct]

    table = pq.read_table(io.BytesIO(client.get(f"{penalties}.parquet").content))
    assert sorted(table.column("decision_no").to_pylist()) == [d[0] for d in direct]
    assert table.num_rows == len(direct)


def test_sensitive_items_are_never_in_a_download(client: TestClient, demo_city: DemoResult) -> None:
    found = client.get("/api/3/action/package_search", params={"q": "营业执照"}).json()
    name = found["result"]["results"][0]["name"]
    text = client.get(f"/opendata/datasets/{name}/download.csv").content.decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert "credit_code" in header
    assert not {"legal_rep_id_number", "id_number", "phone"} & set(header)


def test_a_conditionally_open_dataset_is_not_downloaded_without_a_key(
    client: TestClient, demo_city: DemoResult
) -> None:
    found = client.get("/api/3/action/package_search", params={"q": "市场主体登记"}).json()
    dataset = next(d for d in found["result"]["results"] if d["title"] == "市场主体登记信息")
    answer = client.get(
        f"/opendata/datasets/{dataset['name']}/download.csv",
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "policy-key-required"


@pytest.mark.parametrize("path", ["zy-000000-000000/download.csv", "x/download.exe"])
def test_an_unknown_dataset_or_format_is_a_clear_404_or_422(client: TestClient, path: str) -> None:
    answer = client.get(f"/opendata/datasets/{path}", headers={"Accept": "application/json"})
    assert answer.status_code in (404, 422)
    assert answer.json()["title"]
