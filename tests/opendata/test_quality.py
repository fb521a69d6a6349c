"""Quality reports read a sample of an open dataset's opened items from the department's own
source, find the problems planted in it (a duplicated row, a non-date in a date column, a
dropped column), score it lower than a clean copy, never read a sensitive column, and say
so — without crashing — when there is no source or it cannot be read."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event, select
from typer.testing import CliRunner

from zhuyun.catalog import service as catalog
from zhuyun.catalog.schemas import ResourceUpdate
from zhuyun.catalog.vocab import OpenType, ShareType
from zhuyun.cli import app as cli
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.core.settings import Settings, get_settings
from zhuyun.demo.builder import DemoResult
from zhuyun.demo.sources import SOURCES
from zhuyun.exchange.connectors import SourceKind
from zhuyun.exchange.service import sources
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL
from zhuyun.opendata import quality
from zhuyun.opendata.service import OPENED_SENSITIVITIES

ACTOR = SYSTEM_PRINCIPAL.as_actor()


@dataclass(frozen=True)
class Copy:
    """A copy of the market regulator's database, registered as a source and described by
    an open catalog resource drafted from its `enterprises` table."""

    resource_id: int
    path: Path
    sensitive: list[str]


def _copy_of_market_register(db: Database, settings: Settings, label: str) -> Copy:
    original = next(s for s in SOURCES if s.department == "scjg")
    path = settings.sources_dir / f"quality-{label}-{uuid.uuid4().hex[:6]}.sqlite"
    shutil.copy(settings.sources_dir / original.file_name, path)
    key = settings.secret_key.get_secret_value()
    with db.session() as session:
        market = next(
            v for v in catalog.current_versions(session)[0] if v.name == "市场主体登记信息"
        )
        source = sources.register_source(
            session, SYSTEM_PRINCIPAL, key, market.provider_unit_id,
            sources.SourceDraft(path.stem, SourceKind.SQLITE, f"sqlite:///{path}"),
            source_dirs=(settings.sources_dir,),
        )  # fmt: skip
        rid, _ = sources.draft_resource(
            session, SYSTEM_PRINCIPAL, key,
            sources.BindingDraft(source.id, "enterprises", key_field="credit_code"),
            f"质检样例企业名录（{label}-{path.stem[-6:]}）", summary="数据质量检测的样例数据集。",
        )  # fmt: skip
        catalog.update_draft(
            session,
            ACTOR,
            rid,
            ResourceUpdate(share_type=ShareType.UNCONDITIONAL, open_type=OpenType.OPEN),
        )
        resource = catalog.publish(session, ACTOR, rid)
        sensitive = [i.field for i in resource.items if i.sensitivity not in OPENED_SENSITIVITIES]
    return Copy(rid, path, sensitive)


def _plant_problems(path: Path) -> None:
    """A dropped column, a duplicated row (and so a duplicated key) and a non-date."""
    with sqlite3.connect(path) as connection:
        columns = [
            row[1]
            for row in connection.execute("PRAGMA table_info(enterprises)")
            if row[1] != "registered_capital_wan"
        ]
        connection.executescript(
            f"""
            CREATE TABLE damaged AS SELECT {", ".join(columns)} FROM enterprises;
            DROP TABLE enterprises;
            ALTER TABLE damaged RENAME TO enterprises;
            INSERT INTO enterprises SELECT * FROM enterprises ORDER BY credit_code LIMIT 1;
            UPDATE enterprises SET established_on = '成立日期不详'
             WHERE credit_code = (SELECT credit_code FROM enterprises ORDER BY credit_code
                                  LIMIT 1 OFFSET 10);
            """
        )


@pytest.fixture(scope="module")
def copies(
    app: FastAPI, demo_settings: Settings, demo_city: DemoResult
) -> Iterator[dict[str, Copy]]:
    db: Database = app.state.db
    made = {
        "clean": _copy_of_market_register(db, demo_settings, "clean"),
        "dirty": _copy_of_market_register(db, demo_settings, "dirty"),
        "gone": _copy_of_market_register(db, demo_settings, "gone"),
    }
    _plant_problems(made["dirty"].path)
    with sqlite3.connect(made["gone"].path) as connection:
        connection.execute("ALTER TABLE enterprises RENAME TO enterprises_archived")
    yield made
    with db.session() as session:  # leave the demo city's portal as it was
        for copy in made.values():
            catalog.retire(session, ACTOR, copy.resource_id, "测试结束")


def _check(db: Database, settings: Settings, resource_id: int) -> quality.QualityReport:
    with db.session() as session:
        return quality.check_resource(session, settings.secret_key.get_secret_value(), resource_id)


def _kinds(report: quality.QualityReport) -> dict[str, dict[str, Any]]:
    return {f["kind"]: f for f in report.findings}


def test_a_clean_copy_of_a_department_source_scores_full_marks(
    db: Database, demo_settings: Settings, copies: dict[str, Copy]
) -> None:
    report = _check(db, demo_settings, copies["clean"].resource_id)
    assert report.status == "checked"
    assert report.score == 100
    assert report.rows_checked > 100
    assert [f for f in report.findings if f["level"] == "error"] == []


def test_planted_problems_are_each_found_and_score_lower_than_the_clean_copy(
    db: Database, demo_settings: Settings, copies: dict[str, Copy]
) -> None:
    clean = _check(db, demo_settings, copies["clean"].resource_id)
    dirty = _check(db, demo_settings, copies["dirty"].resource_id)
    assert dirty.status == "checked"
    assert dirty.score is not None and clean.score is not None
    assert dirty.score < clean.score
    found = _kinds(dirty)
    assert found["type_error"]["field"] == "established_on"
    assert found["type_error"]["count"] == 1
    assert found["duplicate_row"]["count"] == 1
    assert found["duplicate_key"]["field"] == "credit_code"
    assert found["item_missing"]["field"] == "registered_capital_wan"
    assert "registered_capital_wan" in found["item_missing"]["message"]
    assert dirty.dimensions["conformity"] < 100 and dirty.dimensions["uniqueness"] == 0
    fields = {f["field"]: f for f in dirty.fields}
    assert fields["registered_capital_wan"]["present"] is False
    assert fields["established_on"]["type_errors"] == 1


def test_a_column_gone_from_the_source_marks_the_catalog_resource_stale(
    db: Database, demo_settings: Settings, copies: dict[str, Copy]
) -> None:
    _check(db, demo_settings, copies["dirty"].resource_id)
    with db.session() as session:
        resource = catalog.get_resource(session, copies["dirty"].resource_id)
        assert resource.stale
        assert "registered_capital_wan" in resource.stale_reason


def test_sensitive_columns_are_never_selected_nor_named_in_a_report(
    db: Database, demo_settings: Settings, copies: dict[str, Copy]
) -> None:
    copy = copies["clean"]
    assert "legal_rep_id_number" in copy.sensitive
    statements: list[str] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", remember)
    try:
        report = _check(db, demo_settings, copy.resource_id)
    finally:
        event.remove(Engine, "before_cursor_execute", remember)
    reads = [
        s for s in statements if s.lstrip().upper().startswith("SELECT") and "enterprises" in s
    ]
    assert reads, "the sample was read through the connector"
    for field in copy.sensitive:
        assert all(not re.search(rf"\b{field}\b", s) for s in reads), field
    assert {f["field"] for f in report.fields}.isdisjoint(copy.sensitive)
    assert {f["field"] for f in report.findings}.isdisjoint(copy.sensitive)
    messages = json.dumps([f["message"] for f in report.findings], ensure_ascii=False)
    assert all(f"（{field}）" not in messages for field in copy.sensitive)


def test_a_dataset_without_a_source_gets_a_report_that_says_so(
    db: Database, demo_settings: Settings, demo_city: DemoResult
) -> None:
    with db.session() as session:
        unbound = next(
            v.resource_id
            for v in catalog.current_versions(session, open_types=[OpenType.OPEN])[0]
            if sources.binding_for(session, v.resource_id) is None
        )
    report = _check(db, demo_settings, unbound)
    assert report.status == "no_source"
    assert report.score is None
    assert "数据源" in report.message


def test_a_source_that_cannot_be_read_gets_a_report_not_a_crash(
    db: Database, demo_settings: Settings, copies: dict[str, Copy]
) -> None:
    report = _check(db, demo_settings, copies["gone"].resource_id)
    assert report.status == "unreachable"
    assert report.score is None
    assert "enterprises" in report.message


def test_scores_roll_up_per_provider_unit_over_scored_datasets_only(
    db: Database, demo_settings: Settings, copies: dict[str, Copy]
) -> None:
    reports = [_check(db, demo_settings, c.resource_id) for c in copies.values()]
    with db.session() as session:
        rollup = quality.unit_rollup(session, [r.resource_id for r in reports])
    (unit,) = rollup.values()
    scored = [r.score for r in reports if r.score is not None]
    assert unit.reports == 3 and unit.scored == 2
    assert unit.average == pytest.approx(sum(scored) / 2, abs=0.05)
    assert unit.lowest == min(scored)


def test_the_cli_checks_one_dataset_and_each_check_is_in_the_ledger(
    db: Database,
    demo_settings: Settings,
    copies: dict[str, Copy],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rid = copies["dirty"].resource_id
    monkeypatch.setenv("ZHUYUN_DATABASE_URL", demo_settings.database_url)
    monkeypatch.setenv("ZHUYUN_DATA_DIR", str(demo_settings.data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["opendata", "quality", "--resource", str(rid)], terminal_width=200
        )
        missing = CliRunner().invoke(cli, ["opendata", "quality", "--resource", "999999"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "1 datasets checked" in result.output and str(rid) in result.output
    assert missing.exit_code == 2 and "999999" in missing.output
    with db.session() as session:
        entry = session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.activity == "opendata.quality_checked",
                LedgerEntry.subject_id == str(rid),
            )
            .order_by(LedgerEntry.seq.desc())
        ).first()
    assert entry is not None
    assert entry.attrs["status"] == "checked"
    assert {"type_error", "duplicate_row", "item_missing"} <= set(entry.attrs["problems"])


def test_the_demo_city_comes_with_quality_scores(db: Database, demo_city: DemoResult) -> None:
    with db.session() as session:
        market = next(
            v for v in catalog.current_versions(session)[0] if v.name == "市场主体登记信息"
        )
        report = quality.report_of(session, market.resource_id)
    assert report is not None and report.status == "checked"
    assert report.score is not None and report.score >= 90
