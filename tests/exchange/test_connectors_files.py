"""File sources read in place: CSV and Parquet through DuckDB, XLSX through openpyxl."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tests.exchange.conftest import COLUMNS, PEOPLE, rows_of, rss_mb, write_people_table
from zhuyun.exchange.connectors import (
    BadSourceConfig,
    DataType,
    Filter,
    SelectSpec,
    SourceConfig,
    SourceKind,
    SourceTimeout,
    SourceUnavailable,
    UnknownColumn,
    UnknownTable,
    connect,
)

FILE_KINDS = ["csv", "parquet", "xlsx"]


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_a_missing_file_is_an_unavailable_source(kind: str, tmp_path: Path) -> None:
    connector = connect(SourceConfig(SourceKind(kind), str(tmp_path / f"gone.{kind}")))
    report = connector.health()
    assert not report.ok and "文件不存在" in report.message
    with pytest.raises(SourceUnavailable) as caught:
        connector.select(SelectSpec("gone", ["id"]))
    assert caught.value.status == 503
    with pytest.raises(SourceUnavailable):
        connector.tables()
    assert not (tmp_path / f"gone.{kind}").exists()


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_a_file_rewritten_without_a_column_is_a_schema_change(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"people.{kind}"
    write_people_table(path, kind)
    connector = connect(SourceConfig(SourceKind(kind), str(path)))
    spec = SelectSpec("people", ["id", "income"], [Filter("id", "eq", 3)])
    assert len(rows_of(connector.select(spec))) == 1
    time.sleep(0.01)  # a new modification time
    write_people_table(path, kind, [row[:5] for row in PEOPLE], COLUMNS[:5])
    with pytest.raises(UnknownColumn) as caught:
        connector.select(spec)
    assert caught.value.code == "source-schema-changed" and caught.value.columns == ["income"]
    connector.close()


def test_csv_options_are_passed_to_the_reader_as_parameters(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("code;名称;amount\n0851;贵阳;1.5\n0852;遵义;2\n0856;铜仁;\n", "utf-8")
    config = SourceConfig(
        SourceKind.CSV,
        str(path),
        {"delimiter": ";", "header": True, "types": {"code": "string"}, "table": "codes"},
    )
    connector = connect(config)
    assert connector.tables() == ["codes"]
    columns = {c.name: c for c in connector.columns("codes")}
    assert columns["code"].data_type is DataType.STRING
    assert columns["amount"].data_type is DataType.DECIMAL
    spec = SelectSpec(
        "codes", ["code", "名称"], [Filter("code", "prefix", "085")], [("code", True)]
    )
    assert rows_of(connector.select(spec)) == [("0856", "铜仁"), ("0852", "遵义"), ("0851", "贵阳")]
    spec = SelectSpec("codes", ["code"], [Filter("amount", "is_null", True)])
    assert rows_of(connector.select(spec)) == [("0856",)]
    connector.close()


@pytest.mark.parametrize(
    "options",
    [{"sheet": "x"}, {"encoding": "gbk"}, {"types": {"code": "money"}}, {"header": "yes"}],
)
def test_bad_file_options_are_refused(options: dict[str, object], tmp_path: Path) -> None:
    with pytest.raises(BadSourceConfig) as caught:
        connect(SourceConfig(SourceKind.CSV, str(tmp_path / "a.csv"), options))
    assert caught.value.status == 422


def test_every_sheet_of_a_workbook_is_a_table(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "户籍"
    first.append(["身份证号", "姓名", None, "姓名"])
    first.append(["52010219900101001X", "张三", 1, "别名"])
    workbook.create_sheet("车辆").append(["plate"])
    workbook.save(path)
    connector = connect(SourceConfig(SourceKind.XLSX, str(path)))
    assert connector.tables() == ["户籍", "车辆"]
    assert [c.name for c in connector.columns("户籍")] == ["身份证号", "姓名", "column_3", "姓名_2"]
    assert connector.lookup("户籍", ["姓名", "姓名_2"], "身份证号", "52010219900101001X") == [
        ("张三", "别名")
    ]
    with pytest.raises(UnknownTable):
        connector.columns("学籍")
    only = connect(SourceConfig(SourceKind.XLSX, str(path), {"sheet": "车辆"}))
    assert only.tables() == ["车辆"]
    with pytest.raises(UnknownTable):
        only.select(SelectSpec("户籍", ["姓名"]))


def test_a_file_that_is_not_a_workbook_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("not a zip", "utf-8")
    connector = connect(SourceConfig(SourceKind.XLSX, str(path)))
    with pytest.raises(SourceUnavailable):
        connector.tables()


@pytest.fixture(scope="module")
def million_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("million")
    db = duckdb.connect()
    db.execute(
        "CREATE TABLE m AS SELECT i AS id, 'name-' || i AS name, i * 1.5 AS amount "
        "FROM range(1, 1000001) t(i)"
    )
    db.execute(f"COPY m TO '{folder / 'million.csv'}' (HEADER)")
    db.execute(f"COPY m TO '{folder / 'million.parquet'}' (FORMAT parquet)")
    db.close()
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_million_rows_stream_in_flat_memory(kind: str, million_files: Path) -> None:
    connector = connect(SourceConfig(SourceKind(kind), str(million_files / f"million.{kind}")))
    spec = SelectSpec("million", ["id", "name"], order_by=[("id", True)])
    count, baseline, peak, last = 0, 0.0, 0.0, None
    for batch in connector.select(spec, timeout_s=30):
        count += len(batch)
        if last is not None:
            assert batch[0][0] == last - 1
        last = batch[-1][0]
        if count == 5000:
            baseline = rss_mb()
        elif count % 100_000 == 0:
            peak = max(peak, rss_mb())
    assert count == 1_000_000 and last == 1
    assert peak - baseline < 60, f"memory grew by {peak - baseline:.0f} MB"
    connector.close()


@pytest.mark.slow
def test_a_slow_file_query_times_out_with_503(million_files: Path) -> None:
    connector = connect(SourceConfig(SourceKind.CSV, str(million_files / "million.csv")))
    spec = SelectSpec("million", ["id"], [Filter("name", "prefix", "name-9")], [("name", True)])
    with pytest.raises(SourceTimeout) as caught:
        connector.select(spec, timeout_s=0.005)
    assert caught.value.code == "source-timeout"
    assert len(rows_of(connector.select(SelectSpec("million", ["id"], limit=3)))) == 3
    connector.close()


def test_file_connectors_leave_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    write_people_table(path, "parquet")
    before = os.stat(path).st_mtime_ns
    connector = connect(SourceConfig(SourceKind.PARQUET, str(path)))
    rows_of(connector.select(SelectSpec("people", ["id"], [Filter("id", "in", [1, 2])])))
    assert os.stat(path).st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people.parquet"]
