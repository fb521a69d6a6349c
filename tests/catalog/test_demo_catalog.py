"""The demo city's catalog: a resource for every table of the departments' own databases,
item for column; dozens of catalog-only resources; a realistic mix of share types and
sensitivities; nothing for departments the scale does not build."""

from __future__ import annotations

import sqlite3

from sqlalchemy import func, select

from zhuyun.catalog import service
from zhuyun.catalog.models import InfoItem, Resource
from zhuyun.core.db import Database
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.demo.catalog import SOURCE_RESOURCES, SPECS, source_bindings
from zhuyun.demo.departments import FUNCTIONS
from zhuyun.demo.scale import ScaleName, get_scale
from zhuyun.demo.sources import SOURCES


def _demo_resources(db: Database) -> list[Resource]:
    names = [spec.name for spec in SPECS]
    with db.session() as session:
        return list(
            session.scalars(select(Resource).where(Resource.name.in_(names)).order_by(Resource.id))
        )


def test_every_source_table_has_a_resource_whose_items_are_its_columns(
    db: Database, catalog_settings: Settings, demo_city: DemoResult
) -> None:
    resources = _demo_resources(db)
    bound = {(unit, table): r for r, unit, table in source_bindings(resources)}
    tables = {(s.department, t.name) for s in SOURCES for t in s.tables}
    assert set(bound) == tables
    for source in SOURCES:
        with sqlite3.connect(catalog_settings.sources_dir / source.file_name) as connection:
            for table in source.tables:
                rows = connection.execute(f"PRAGMA table_info({table.name})").fetchall()
                resource = bound[(source.department, table.name)]
                assert [i.field for i in resource.items] == [r[1] for r in rows], table.name
                assert resource.status == "published"
    assert len(SOURCE_RESOURCES) == len(tables)


def test_the_demo_catalog_has_dozens_of_resources_and_hundreds_of_items(db: Database) -> None:
    resources = _demo_resources(db)
    with db.session() as session:
        items = session.scalar(
            select(func.count())
            .select_from(InfoItem)
            .where(InfoItem.resource_id.in_([r.id for r in resources]))
        )
    assert len(resources) >= 50
    assert (items or 0) >= 400
    assert {r.base_library for r in resources} >= {
        "population",
        "legal_person",
        "geospatial",
        "credit",
        "licence",
    }
    assert {r.class_code for r in resources} == {"1", "2", "3"}


def test_share_types_are_mixed_and_every_withheld_resource_names_its_legal_basis(
    db: Database,
) -> None:
    resources = _demo_resources(db)
    shares = {r.share_type for r in resources}
    assert shares == {"unconditional", "conditional", "none"}
    withheld = [r for r in resources if r.share_type == "none"]
    assert len(withheld) >= 3
    with_withheld_items = [r for r in resources if any(i.share_type == "none" for i in r.items)]
    assert len(with_withheld_items) > len(withheld)
    assert all(r.legal_basis for r in with_withheld_items)
    assert all(r.open_type == "closed" for r in withheld)
    assert {r.open_type for r in resources} == {"open", "conditional", "closed"}


def test_personal_data_is_sensitive_and_masked_by_what_it_is(db: Database) -> None:
    resources = _demo_resources(db)
    with db.session() as session:
        views = [service.published_view(session, r.id) for r in resources]
    items = [item for view in views for item in view.items.values()]
    id_numbers = [i for i in items if i.field.endswith("id_number")]
    assert len(id_numbers) >= 25
    assert all(i.sensitivity == "sensitive" and i.mask_kind == "id_number" for i in id_numbers)
    phones = [i for i in items if i.field in ("phone", "caller_phone", "guardian_phone")]
    assert phones and all(i.mask_kind == "phone" for i in phones)
    people = next(v for v in views if v.name == "人口基础信息")
    assert people.items["name"].mask_kind == "name"
    assert people.items["address"].mask_kind == "address"
    enterprises = next(v for v in views if v.name == "市场主体登记信息")
    assert enterprises.items["name"].sensitivity == "public"  # a company's name is public
    assert enterprises.items["legal_rep_id_number"].share_type == "conditional"
    secrets = [i for i in items if i.sensitivity == "secret"]
    assert secrets and all(i.share_type == "none" for i in secrets)


def test_resources_of_departments_the_scale_does_not_build_are_skipped(
    db: Database,
) -> None:
    built = {f.code for f in FUNCTIONS[: get_scale(ScaleName.TEST).city_departments]}
    skipped = {spec.name for spec in SPECS if spec.unit not in built}
    assert "住房公积金缴存信息" in skipped
    published = {r.name for r in _demo_resources(db)}
    assert not skipped & published
    assert published == {spec.name for spec in SPECS if spec.unit in built}
