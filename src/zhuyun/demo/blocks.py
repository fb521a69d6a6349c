"""块数据 in the demo city: the department tables the profiles need beyond the core registers
(medical insurance, vehicles, driving licences, property, service cases, tax, business
anomalies, spot checks, and the grid system's residents, enterprises and services), bound to
their catalog resources; the big-data bureau's grants for its fusion purpose; and three fusion
jobs — 一人一档, 一企一档, 一格一档 — declared as data and run once on DuckDB.

The tables and their rows are in `blocks_tables`. Deterministic by seed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.blocks import service as blocks
from zhuyun.catalog import service as catalog
from zhuyun.catalog.vocab import ShareType
from zhuyun.core.calendar import china_today
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.core.settings import Settings
from zhuyun.demo.blocks_tables import (
    TABLES,
    DemoTable,
    read_enterprises,
    read_people,
    table_rows,
    write_table,
)
from zhuyun.demo.catalog import _item
from zhuyun.exchange.connectors import SourceKind
from zhuyun.exchange.models import Binding
from zhuyun.exchange.service import applications
from zhuyun.exchange.service import sources as exchange_sources
from zhuyun.governance import service as governance
from zhuyun.identity import service as identity
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL, Principal

Progress = Callable[[str, int, int], None]
PURPOSE = "块数据融合：建立一人一档、一企一档、一格一档，支撑政务服务主动推送与基层治理"


def _grids(session: Session) -> list[tuple[str, str]]:
    """(grid code, community code) of every grid, in code order."""
    grids: list[tuple[str, str]] = []
    offset = 0
    while True:
        rows, total = governance.list_grids(session, None, offset, 500)
        grids.extend((g.code, g.community_code) for g in rows)
        offset += len(rows)
        if not rows or offset >= total:
            return grids


def publish_resource(session: Session, spec: DemoTable, unit: OrgUnit) -> int:
    draft = catalog.ResourceDraft(
        provider_unit_id=unit.id,
        name=spec.resource,
        summary=spec.new_summary,
        share_type=spec.new_share,
        share_conditions="限履行法定职责的政务部门申请使用，须写明用途。"
        if spec.new_share == ShareType.CONDITIONAL
        else "",
        items=[_item(n) for n in spec.new_items.split()],
    )
    resource = catalog.create_draft(session, SYSTEM, draft)
    return catalog.publish(session, SYSTEM, resource.id).id


def build_block_sources(
    session: Session,
    settings: Settings,
    units: Mapping[str, OrgUnit],
    resources_by_name: Mapping[str, int],
    seed: int,
) -> dict[str, int]:
    """Write the demo tables, register their files as sources, bind the resources (creating
    the new ones); returns table name → resource id."""
    sources_dir = settings.sources_dir
    people = read_people(sources_dir)
    enterprises = read_enterprises(sources_dir)
    grids = _grids(session)
    secret = settings.secret_key.get_secret_value()
    registered: dict[str, int] = {}
    bound: dict[str, int] = {}
    for spec in TABLES:
        unit = units.get(spec.department)
        if unit is None:
            continue
        path = sources_dir / spec.file_name
        write_table(path, spec, table_rows(spec, people, enterprises, grids, seed))
        if spec.file_name not in registered:
            source = exchange_sources.register_source(
                session,
                SYSTEM_PRINCIPAL,
                secret,
                unit.id,
                exchange_sources.SourceDraft(
                    name=f"{unit.name}块数据库（{spec.file_name.removesuffix('.sqlite')}）",
                    kind=SourceKind.SQLITE,
                    location=f"sqlite:///{path.resolve()}",
                ),
                source_dirs=(sources_dir,),
            )
            registered[spec.file_name] = source.id
        resource_id = resources_by_name.get(spec.resource)
        if resource_id is None:
            resource_id = publish_resource(session, spec, unit)
        exchange_sources.bind_resource(
            session,
            SYSTEM_PRINCIPAL,
            secret,
            resource_id,
            exchange_sources.BindingDraft(
                registered[spec.file_name], spec.table, spec.key_field, spec.subject_field, None
            ),
        )
        bound[spec.table] = resource_id
    return bound


def _principal(session: Session, username: str) -> Principal:
    account = identity.find_account(session, username)
    assert account is not None, username
    return identity.principal_for(account)


def grant_fusion(session: Session, resource_items: Mapping[int, Sequence[str]]) -> int:
    """The bureau applies for its fusion purpose; the platform admin (for the bureau) approves,
    keys and items in clear. Returns the grants made."""
    today = china_today()
    bureau = _principal(session, "dsj.data")
    admin = _principal(session, "admin")
    made = 0
    for resource_id, items in resource_items.items():
        view = catalog.published_view(session, resource_id)
        if view.provider_unit_id == bureau.unit_id or view.share_type != ShareType.CONDITIONAL:
            continue
        draft = applications.ApplicationDraft(
            resource_id,
            list(items),
            PURPOSE,
            "《贵州省大数据发展应用促进条例》",
            today + timedelta(days=365),
            1_000_000,
            f"demo-blocks-{resource_id}",
        )
        application, _ = applications.apply(session, bureau, draft, today, 10)
        applications.approve(
            session,
            admin,
            application.id,
            applications.Approval(
                clear_items=list(items),
                max_rows_per_query=1_000_000,
                max_rows_per_day=50_000_000,
                city_wide=True,
            ),
        )
        made += 1
    return made


def _source(
    alias: str,
    resource_id: int,
    key: str,
    items: str,
    updated_at: str | None = None,
    take: str = "latest",
    row_key: str = "",
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "alias": alias,
        "resource_id": resource_id,
        "key": key,
        "items": items.split(),
        "take": take,
    }
    if updated_at:
        spec["updated_at"] = updated_at
    if row_key:
        spec["row_key"] = row_key.split()
    return spec


def demo_jobs(ids: Mapping[str, int]) -> list[dict[str, Any]]:
    """The three demo jobs, as data (table name → resource id in `ids`)."""
    person = [
        _source(
            "population",
            ids["people"],
            "id_number",
            "name sex birth_date ethnicity domicile_division_code address",
            "updated_at",
        ),
        _source(
            "social_insurance",
            ids["social_insurance"],
            "id_number",
            "insurance_type status started_on",
        ),
        _source(
            "medical_insurance",
            ids["medical_insurance"],
            "id_number",
            "insurance_type status started_on",
        ),
        _source(
            "licences", ids["driving_licences"], "id_number", "licence_class valid_until status"
        ),
        _source(
            "property",
            ids["real_estate"],
            "owner_id_number",
            "property_address area_sqm mortgage_status",
        ),
        _source("vehicles", ids["vehicles"], "owner_id_number", "plate_no brand_model status"),
        _source(
            "services", ids["service_cases"], "applicant_id_number", "item_name accepted_at status"
        ),
    ]
    enterprise = [
        _source(
            "registration",
            ids["enterprises"],
            "credit_code",
            "name entity_type industry status established_on",
            "updated_at",
        ),
        _source("tax", ids["tax_registrations"], "credit_code", "kind status credit_rating"),
        _source("credit", ids["business_anomalies"], "credit_code", "reason listed_on"),
        _source(
            "inspections",
            ids["spot_checks"],
            "credit_code",
            "inspected_on result",
            "updated_at",
            row_key="task_no",
        ),
        _source(
            "penalties", ids["market_penalties"], "credit_code", "violation penalty_type decided_on"
        ),
    ]
    grid = [
        _source(
            "population", ids["grid_residents"], "grid_code", "", "updated_at", "count", "id_number"
        ),
        _source(
            "enterprises",
            ids["grid_enterprises"],
            "grid_code",
            "",
            "updated_at",
            "count",
            "credit_code",
        ),
        _source("events", ids["city_cases"], "grid_code", "category reported_at status"),
        _source(
            "services",
            ids["grid_services"],
            "grid_code",
            "service_type served_on",
            "updated_at",
            row_key="service_no",
        ),
    ]
    return [
        {
            "name": "一人一档",
            "entity": "person",
            "purpose": PURPOSE,
            "sources": person,
            "outputs": [{"name": "person_profile"}],
        },
        {
            "name": "一企一档",
            "entity": "enterprise",
            "purpose": PURPOSE,
            "sources": enterprise,
            "outputs": [{"name": "enterprise_profile"}],
        },
        {
            "name": "一格一档",
            "entity": "grid",
            "purpose": PURPOSE,
            "sources": grid,
            "outputs": [{"name": "grid_profile"}],
        },
    ]


def _read_items(job: Mapping[str, Any]) -> dict[int, list[str]]:
    wanted: dict[int, list[str]] = {}
    for spec in job["sources"]:
        names = [spec["key"], *spec.get("row_key", []), *spec["items"]]
        if spec.get("updated_at"):
            names.append(spec["updated_at"])
        wanted.setdefault(spec["resource_id"], [])
        wanted[spec["resource_id"]] = list(dict.fromkeys(wanted[spec["resource_id"]] + names))
    return wanted


def build_blocks(
    database: Database,
    settings: Settings,
    units: Mapping[str, OrgUnit],
    seed: int,
    report: Progress,
) -> list[int]:
    """Everything the demo's block data needs, then one DuckDB run of each job; returns the
    job ids (none when the scale lacks a department the jobs read)."""
    report("块数据 block data", 0, 2)
    with database.session() as session:
        bound_tables = dict(
            (t, r) for t, r in session.execute(select(Binding.table_name, Binding.resource_id))
        )
        names = {catalog.published_view(session, rid).name: rid for rid in bound_tables.values()}
        names |= _catalog_names(session, [t.resource for t in TABLES])
        ids = bound_tables | build_block_sources(session, settings, units, names, seed)
        needed = {"people", "enterprises", "market_penalties", "social_insurance"} | {
            t.table for t in TABLES
        }
        if not needed <= set(ids):
            return []
        jobs = demo_jobs(ids)
        wanted: dict[int, list[str]] = {}
        for job in jobs:
            for rid, items in _read_items(job).items():
                wanted[rid] = list(dict.fromkeys(wanted.get(rid, []) + items))
        grant_fusion(session, wanted)
    bureau_jobs: list[int] = []
    runs: list[int] = []
    with database.session() as session:
        bureau = _principal(session, "dsj.data")
        for index, job in enumerate(jobs):
            text = json.dumps(job, ensure_ascii=False, indent=1)
            created, _ = blocks.create_job(
                session,
                settings.secret_key.get_secret_value(),
                bureau,
                text,
                f"demo-blocks-job-{index}",
                china_today(),
            )
            run, _ = blocks.start_run(
                session, bureau, created, "duckdb", "full", f"demo-blocks-run-{index}"
            )
            bureau_jobs.append(created.id)
            runs.append(run.id)
    report("块数据 block data", 1, 2)
    for run_id in runs:
        blocks.execute_run(database, settings, run_id)
    report("块数据 block data", 2, 2)
    return bureau_jobs


def _catalog_names(session: Session, names: Sequence[str]) -> dict[str, int]:
    """Resource ids of the catalog entries with these names (published, in the demo)."""
    found: dict[str, int] = {}
    for name in names:
        hit = _resource_by_name(session, name)
        if hit is not None:
            found[name] = hit
    return found


def _resource_by_name(session: Session, name: str) -> int | None:
    resource = session.scalar(select(catalog.Resource).where(catalog.Resource.name == name))
    return resource.id if resource is not None else None
