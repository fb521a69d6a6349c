"""Builds the demo city on the platform side: the org tree, departments, organisations,
demo accounts and the dashboard's key figures, after the departments' own databases.

Deterministic by seed. Every unit and account is created through the identity service, so
the demo city's history is in the ledger like any other change.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core import ledger
from zhuyun.core.db import Base, Database
from zhuyun.core.divisions import GUIYANG, Division, DivisionLevel, children_of, guiyang_division
from zhuyun.core.ledger import SYSTEM, Subject
from zhuyun.core.settings import Settings
from zhuyun.demo.blocks import build_blocks
from zhuyun.demo.catalog import publish_demo_catalog, source_bindings
from zhuyun.demo.certificates import build_certificates
from zhuyun.demo.departments import (
    DepartmentSpec,
    city_departments,
    collaborating_organisations,
    district_departments,
)
from zhuyun.demo.exchange import register_demo_sources
from zhuyun.demo.grids import build_grids
from zhuyun.demo.powers import build_powers
from zhuyun.demo.scale import (
    Scale,
    ScaleName,
    communities_in_scale,
    get_scale,
    streets_in_scale,
)
from zhuyun.demo.services import build_services
from zhuyun.demo.sharing import seed_sharing_history
from zhuyun.demo.sources import SourcesSummary, build_sources
from zhuyun.demo.workorders import build_workorders
from zhuyun.identity import service as identity
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import ROLE_LABELS_ZH, Role
from zhuyun.identity.service import StaffDraft, UnitDraft, UnitKind
from zhuyun.migrations import upgrade
from zhuyun.opendata import quality
from zhuyun.services.service.uploads import uploads_dir
from zhuyun.web.service import set_key_figures

Progress = Callable[[str, int, int], None]
ACCOUNTS_FILE = "demo-accounts.json"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    role_label: str
    username: str
    password: str
    unit_name: str
    display_name: str


@dataclass
class DemoResult:
    city_name: str
    scale: str
    seed: int
    accounts: list[DemoAccount] = field(default_factory=list)
    units: int = 0
    people: int = 0
    resources: int = 0

    def account(self, role: Role) -> DemoAccount:
        return next(a for a in self.accounts if a.role == role.value)


class DemoAlreadyBuilt(Exception):
    def __init__(self, result: DemoResult) -> None:
        super().__init__("a demo city is already built")
        self.result = result


def _quiet(_step: str, _done: int, _total: int) -> None:
    return None


def _reset(settings: Settings) -> None:
    """Remove a previous demo city: the SQLite file, or every table on PostgreSQL."""
    if settings.is_sqlite:
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    database = Database(settings.database_url)
    with database.engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    database.dispose()


def _already_built(session: Session) -> bool:
    return (
        session.scalar(
            select(ledger.LedgerEntry.seq)
            .where(ledger.LedgerEntry.activity == "demo.built")
            .limit(1)
        )
        is not None
    )


def build_demo(
    settings: Settings,
    scale_name: ScaleName,
    seed: int,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> DemoResult:
    """Build (or with `rebuild`, build anew) the demo city described by scale and seed."""
    report = progress or _quiet
    accounts_file = settings.data_dir / ACCOUNTS_FILE
    if rebuild:
        _reset(settings)
    database = Database(settings.database_url)
    try:
        upgrade(database)
        with database.session() as session:
            if _already_built(session) and accounts_file.exists():
                raise DemoAlreadyBuilt(_load_result(accounts_file))
        scale = get_scale(scale_name)
        summary = build_sources(settings.data_dir, scale, seed, report)
        result = DemoResult(
            city_name=guiyang_division(GUIYANG).name, scale=scale_name.value, seed=seed
        )
        with database.session() as session:
            units = _build_units(session, scale, seed, report)
        with database.session() as session:
            result.accounts = _build_accounts(session, settings, units, seed, report)
        with database.session() as session:
            build_grids(session, scale, seed, units, report)
        with database.session() as session:
            report("资源目录 catalog", 0, 1)
            resources = publish_demo_catalog(session, units)
            register_demo_sources(
                session,
                settings.secret_key.get_secret_value(),
                settings.sources_dir,
                units,
                [(r.id, unit, table) for r, unit, table in source_bindings(resources)],
            )
            result.resources = len(resources)
            report("资源目录 catalog", 1, 1)
        with database.session() as session:
            citizen = result.account(Role.CITIZEN)
            seed_sharing_history(
                session,
                settings.secret_key.get_secret_value(),
                citizen.username,
                settings.review_working_days,
            )
        with database.session() as session:
            enterprise = result.account(Role.ENTERPRISE)
            build_certificates(
                session,
                settings,
                (citizen.username, citizen.display_name),
                (enterprise.username, enterprise.display_name),
            )
        with database.session() as session:
            report("一网通办 services", 0, 1)
            for role, username, password, unit_name, name in build_services(
                session,
                settings.secret_key.get_secret_value(),
                uploads_dir(settings),
                result.account(Role.CITIZEN).username,
                seed,
                _password,
            ):
                label = ROLE_LABELS_ZH[Role(role)]
                result.accounts.append(
                    DemoAccount(role, label, username, password, unit_name, name)
                )
            report("一网通办 services", 1, 1)
        with database.session() as session:
            report("工单 work orders", 0, 1)
            for role, username, password, unit_name, name in build_workorders(
                session, scale_name.value, seed, result.account(Role.CITIZEN).username, _password
            ):
                label = ROLE_LABELS_ZH[Role(role)]
                result.accounts.append(
                    DemoAccount(role, label, username, password, unit_name, name)
                )
            report("工单 work orders", 1, 1)
        report("权力清单 power list", 0, 1)
        for role, username, password, unit_name, name in build_powers(
            database, scale_name.value, seed, _password
        ):
            result.accounts.append(
                DemoAccount(role, ROLE_LABELS_ZH[Role(role)], username, password, unit_name, name)
            )
        report("权力清单 power list", 1, 1)
        build_blocks(database, settings, units, seed, report)
        report("开放数据质量 open-data quality", 0, 1)
        quality.run(database, settings.secret_key.get_secret_value())
        report("开放数据质量 open-data quality", 1, 1)
        with database.session() as session:
            _store_figures(session, summary)
            result.units = len(units)
            result.people = sum(summary.population_by_district.values())
            ledger.record(
                session,
                SYSTEM,
                "demo.built",
                Subject("demo", "city"),
                {
                    "scale": scale_name.value,
                    "seed": seed,
                    "units": result.units,
                    "people": result.people,
                },
            )
    finally:
        database.dispose()
    accounts_file.parent.mkdir(parents=True, exist_ok=True)
    accounts_file.write_text(json.dumps(asdict(result), ensure_ascii=False, indent=1), "utf-8")
    return result


def _load_result(path: Path) -> DemoResult:
    raw = json.loads(path.read_text("utf-8"))
    raw["accounts"] = [DemoAccount(**a) for a in raw["accounts"]]
    return DemoResult(**raw)


def _build_units(session: Session, scale: Scale, seed: int, report: Progress) -> dict[str, OrgUnit]:
    """The region tree, then the departments, then the collaborating organisations."""
    city = guiyang_division(GUIYANG)
    regions: list[tuple[Division, str | None]] = [(city, None)]
    for district in children_of(city.code):
        regions.append((district, city.code))
        for street in streets_in_scale(scale, district.code):
            regions.append((street, district.code))
            regions.extend(
                (community, street.code) for community in communities_in_scale(scale, street.code)
            )
    district_divisions = [d for d, _ in regions if d.level == DivisionLevel.DISTRICT]
    departments: list[tuple[DepartmentSpec, str]] = [
        (spec, city.code) for spec in city_departments(scale)
    ]
    for district in district_divisions:
        departments.extend((spec, district.code) for spec in district_departments(scale, district))
    organisations = list(collaborating_organisations(scale, seed))
    total = len(regions) + len(departments) + len(organisations)
    units: dict[str, OrgUnit] = {}
    done = 0
    step = "组织机构 org units"

    def add(draft: UnitDraft) -> None:
        nonlocal done
        units[draft.code] = identity.create_unit(session, SYSTEM, draft)
        done += 1
        if done % 200 == 0 or done == total:
            report(step, done, total)

    for division, parent_code in regions:
        add(
            UnitDraft(
                code=division.code,
                name=division.name,
                kind=UnitKind(division.level.value),
                parent_id=units[parent_code].id if parent_code else None,
                division_code=division.code,
            )
        )
    for spec, region_code in departments:
        add(
            UnitDraft(
                code=spec.code,
                name=spec.name,
                kind=UnitKind.DEPARTMENT,
                parent_id=units[region_code].id,
                category=spec.short_name,
            )
        )
    for org in organisations:
        parent = units.get(org.district_code) or units[city.code]
        add(
            UnitDraft(
                code=org.code,
                name=org.name,
                kind=UnitKind.ORGANISATION,
                parent_id=parent.id,
                category=org.kind,
            )
        )
    return units


def _first_row(path: Path, sql: str) -> tuple[str, str]:
    with sqlite3.connect(path) as connection:
        row = connection.execute(sql).fetchone()
    return str(row[0]), str(row[1])


def _password(rng: random.Random) -> str:
    return f"Zy{rng.randrange(10**7, 10**8)}"


_STAFF: tuple[tuple[str, str, Role, str], ...] = (
    ("admin", "平台管理员", Role.PLATFORM_ADMIN, "dsj"),
    ("dsj.data", "大数据局数据管理员", Role.DATA_ADMIN, "dsj"),
    ("gongan.data", "公安局数据管理员", Role.DATA_ADMIN, "gongan"),
    ("scjg.data", "市场监管局数据管理员", Role.DATA_ADMIN, "scjg"),
    ("rsj.handler", "人社局经办人", Role.CASE_HANDLER, "rsj"),
    ("supervisor", "效能监督员", Role.SUPERVISOR, "dsj"),
)


def _build_accounts(
    session: Session, settings: Settings, units: dict[str, OrgUnit], seed: int, report: Progress
) -> list[DemoAccount]:
    rng = random.Random(seed * 7919)
    accounts: list[DemoAccount] = []
    community = next(u for u in units.values() if u.kind == UnitKind.COMMUNITY.value)
    staff: list[tuple[str, str, Role, OrgUnit]] = [
        (username, name, role, units.get(code) or units["dsj"])
        for username, name, role, code in _STAFF
    ]
    staff.append(("grid.worker", f"{community.name}网格员", Role.GRID_WORKER, community))
    total = len(staff) + 2
    for index, (username, name, role, unit) in enumerate(staff, start=1):
        password = _password(rng)
        identity.create_staff(
            session,
            SYSTEM,
            StaffDraft(
                username=username,
                display_name=name,
                unit_id=unit.id,
                password=password,
                roles=((role, unit.id if role != Role.PLATFORM_ADMIN else None),),
            ),
        )
        accounts.append(
            DemoAccount(role.value, ROLE_LABELS_ZH[role], username, password, unit.name, name)
        )
        report("演示账号 demo accounts", index, total)
    sources = settings.sources_dir
    id_number, person_name = _first_row(
        sources / "gongan.sqlite",
        "SELECT id_number, name FROM people WHERE birth_date BETWEEN '1975-01-01' AND '1995-12-31' "
        "ORDER BY id_number LIMIT 1",
    )
    password = _password(rng)
    identity.register_person(session, id_number, person_name, password)
    accounts.append(
        DemoAccount(
            Role.CITIZEN.value, ROLE_LABELS_ZH[Role.CITIZEN], id_number, password, "", person_name
        )
    )
    credit_code, enterprise_name = _first_row(
        sources / "scjg.sqlite",
        "SELECT credit_code, name FROM enterprises ORDER BY credit_code LIMIT 1",
    )
    password = _password(rng)
    identity.register_legal(session, credit_code, enterprise_name, password)
    accounts.append(
        DemoAccount(
            Role.ENTERPRISE.value,
            ROLE_LABELS_ZH[Role.ENTERPRISE],
            credit_code,
            password,
            "",
            enterprise_name,
        )
    )
    report("演示账号 demo accounts", total, total)
    return accounts


def _store_figures(session: Session, summary: SourcesSummary) -> None:
    figures: dict[tuple[str, str], int] = {}

    def put(name: str, per_district: dict[str, int]) -> None:
        for code, value in per_district.items():
            figures[(name, code)] = value
        figures[(name, GUIYANG)] = sum(per_district.values())

    put("population", summary.population_by_district)
    put("enterprises", summary.enterprises_by_district)
    figures[("households", GUIYANG)] = summary.households
    set_key_figures(session, SYSTEM, "demo", figures)


def unit_codes(units: Iterable[OrgUnit]) -> list[str]:
    return [u.code for u in units]
