"""The demo city: Guiyang's real divisions, departments with their own databases, people and
enterprises whose identifiers pass their national checks, and the same city for the same seed."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from tests.helpers import api_token
from zhuyun.cli import app as cli
from zhuyun.core.db import Database
from zhuyun.core.divisions import guiyang_division
from zhuyun.core.ids import is_valid_credit_code, parse_resident_id
from zhuyun.core.settings import Settings, get_settings
from zhuyun.demo.builder import DemoResult
from zhuyun.demo.departments import city_departments, district_departments
from zhuyun.demo.scale import ScaleName, get_scale
from zhuyun.demo.sources import SOURCES, build_sources
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import Role

REAL_DISTRICTS = {
    "520102": "南明区", "520103": "云岩区", "520111": "花溪区", "520112": "乌当区",
    "520113": "白云区", "520115": "观山湖区", "520121": "开阳县", "520122": "息烽县",
    "520123": "修文县", "520181": "清镇市",
}  # fmt: skip


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def test_the_city_has_guiyangs_ten_real_districts_and_counties(
    db: Database, demo_city: DemoResult
) -> None:
    with db.session() as session:
        query = select(OrgUnit.code, OrgUnit.name).where(OrgUnit.kind == "district")
        districts = dict(session.execute(query).all())
    assert districts == REAL_DISTRICTS


def test_streets_and_communities_are_real_and_hang_under_their_district(
    db: Database, demo_city: DemoResult
) -> None:
    with db.session() as session:
        communities = session.scalars(select(OrgUnit).where(OrgUnit.kind == "community")).all()
        assert communities
        for community in communities:
            assert guiyang_division(community.code).name == community.name
            street = session.get(OrgUnit, community.parent_id)
            assert street is not None and street.kind == "street"
            assert community.code.startswith(street.code)


def test_every_department_and_organisation_is_a_unit(db: Database, demo_city: DemoResult) -> None:
    scale = get_scale(ScaleName.TEST)
    expected = len(city_departments(scale)) + 10 * len(
        district_departments(scale, guiyang_division("520102"))
    )
    with db.session() as session:
        kinds = dict(
            session.execute(select(OrgUnit.kind, func.count()).group_by(OrgUnit.kind)).all()
        )
        police = session.scalar(select(OrgUnit).where(OrgUnit.code == "520103.gongan"))
    assert kinds["department"] == expected
    assert kinds["organisation"] == scale.organisations
    assert police is not None and police.name == "贵阳市公安局云岩区分局"


def test_each_department_keeps_its_data_in_its_own_database(
    db: Database, demo_settings: Settings, demo_city: DemoResult
) -> None:
    for source in SOURCES:
        path = demo_settings.sources_dir / source.file_name
        assert path.exists(), path
        tables = {name for (name,) in _rows(path, "SELECT name FROM sqlite_master")}
        assert {table.name for table in source.tables} <= tables
    platform_tables = set(inspect(db.engine).get_table_names())
    assert not platform_tables & {"people", "enterprises", "social_insurance", "births"}


def test_every_person_has_a_valid_resident_id_and_lives_in_a_community_of_the_city(
    demo_settings: Settings, demo_city: DemoResult
) -> None:
    people = _rows(
        demo_settings.sources_dir / "gongan.sqlite",
        "SELECT id_number, sex, birth_date, domicile_division_code, address FROM people",
    )
    assert len(people) >= get_scale(ScaleName.TEST).people
    for id_number, sex, birth_date, division_code, address in people:
        resident = parse_resident_id(str(id_number))
        assert resident.birth_date.isoformat() == birth_date
        assert ("男" if resident.sex == "male" else "女") == sex
        community = guiyang_division(str(division_code))
        district = guiyang_division(str(division_code)[:6])
        assert community.level == "community"
        assert str(address).startswith(f"贵州省贵阳市{district.name}")


def test_enterprises_have_valid_credit_codes_and_legal_representatives_of_the_city(
    demo_settings: Settings, demo_city: DemoResult
) -> None:
    sources = demo_settings.sources_dir
    enterprises = _rows(
        sources / "scjg.sqlite", "SELECT credit_code, legal_rep_id_number FROM enterprises"
    )
    assert len(enterprises) > 50
    people = {row[0] for row in _rows(sources / "gongan.sqlite", "SELECT id_number FROM people")}
    for credit_code, representative in enterprises:
        assert is_valid_credit_code(str(credit_code)), credit_code
        assert representative in people


def test_the_registers_of_different_departments_agree_about_people(
    demo_settings: Settings, demo_city: DemoResult
) -> None:
    sources = demo_settings.sources_dir
    people = {row[0] for row in _rows(sources / "gongan.sqlite", "SELECT id_number FROM people")}
    married = _rows(
        sources / "mzj.sqlite", "SELECT husband_id_number, wife_id_number FROM marriages"
    )
    born = _rows(sources / "wjw.sqlite", "SELECT child_id_number, mother_id_number FROM births")
    insured = _rows(sources / "rsj.sqlite", "SELECT id_number FROM social_insurance")
    assert married and born and insured
    assert {p for pair in married for p in pair} <= people
    assert {p for pair in born for p in pair} <= people
    assert {row[0] for row in insured} <= people


def _digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for source in SOURCES:
        for table in source.tables:
            for row in _rows(directory / source.file_name, f"SELECT * FROM {table.name}"):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def test_the_same_seed_builds_the_same_city_and_another_seed_another(tmp_path: Path) -> None:
    scale = get_scale(ScaleName.TEST)
    quiet = lambda *_: None  # noqa: E731
    build_sources(tmp_path / "a", scale, 11, quiet)
    build_sources(tmp_path / "b", scale, 11, quiet)
    build_sources(tmp_path / "c", scale, 12, quiet)
    a, b, c = (_digest(tmp_path / name / "sources") for name in "abc")
    assert a == b
    assert a != c


def test_the_demo_command_prints_every_demo_account_and_builds_once(
    demo_settings: Settings, demo_city: DemoResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHUYUN_DATABASE_URL", demo_settings.database_url)
    monkeypatch.setenv("ZHUYUN_DATA_DIR", str(demo_settings.data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["demo", "--scale", "test", "--seed", "7", "--no-serve"], terminal_width=200
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "already built" in result.output  # the session's city is not rebuilt
    for account in demo_city.accounts:
        assert account.username in result.output
        assert account.password in result.output


def test_an_unknown_scale_is_refused_with_a_clear_message() -> None:
    result = CliRunner().invoke(cli, ["demo", "--scale", "huge", "--no-serve"])
    assert result.exit_code == 2
    assert "test, small or city" in result.output


def test_the_demo_city_has_a_sharing_history_a_citizen_can_see(
    client: TestClient, demo_city: DemoResult
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    mine = client.get("/api/exchange/my-access", headers=citizen).json()
    assert mine["count"] >= 1
    assert any(entry["unit_name"] == "贵阳市大数据发展管理局" for entry in mine["data"])
    stats = client.get("/api/exchange/statistics").json()
    assert sum(unit["queries"] for unit in stats) >= 4
    bureau = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    statuses = {
        a["status"] for a in client.get("/api/exchange/applications", headers=bureau).json()["data"]
    }
    assert {"approved", "rejected", "pending"} <= statuses
