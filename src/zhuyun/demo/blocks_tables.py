"""The department tables of the demo's block data beyond the core registers — medical
insurance, vehicles, driving licences, property, service cases, tax, business anomalies, spot
checks, and the grid system's residents, enterprises and services — and their rows, written as
each department's own SQLite file (physically separate, like the core registers in
`sources.py`) and agreeing with the core registers: the people insured, driving and owning
property are the police register's people, the enterprises taxed and inspected the market
regulator's. Deterministic by seed.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from zhuyun.catalog.vocab import ShareType

AS_OF = "2026-11-01T08:00:00"
BATCH = 5_000


@dataclass(frozen=True)
class DemoTable:
    """One department table of the demo's block data, and the catalog resource it fills."""

    department: str
    file_name: str
    table: str
    resource: str  # an existing catalog resource's name, or a new one's (with `items`)
    columns: tuple[str, ...]
    key_field: str
    subject_field: str | None = None
    new_items: str = ""  # item notations when the resource is new (demo.catalog's notation)
    new_summary: str = ""
    new_share: ShareType = ShareType.CONDITIONAL


def _cols(text: str) -> tuple[str, ...]:
    return tuple(text.split())


TABLES: tuple[DemoTable, ...] = (
    DemoTable(
        "ybj",
        "ybj.sqlite",
        "medical_insurance",
        "基本医疗保险参保信息",
        _cols("id_number name insurance_type employer_credit_code started_on status"),
        "id_number",
        "id_number",
    ),
    DemoTable(
        "gongan",
        "gongan-vehicles.sqlite",
        "vehicles",
        "机动车登记信息",
        _cols(
            "plate_no vehicle_type brand_model vin owner_name owner_id_number use_nature "
            "registered_on inspection_valid_until status"
        ),
        "plate_no",
        "owner_id_number",
    ),
    DemoTable(
        "gongan",
        "gongan-licences.sqlite",
        "driving_licences",
        "机动车驾驶证信息",
        _cols("id_number name licence_class first_issued_on valid_until points status"),
        "id_number",
        "id_number",
    ),
    DemoTable(
        "zrzy",
        "zrzy.sqlite",
        "real_estate",
        "不动产登记信息",
        _cols(
            "certificate_no unit_no owner_name owner_id_number property_address land_use "
            "area_sqm ownership_type registered_on mortgage_status"
        ),
        "certificate_no",
        "owner_id_number",
    ),
    DemoTable(
        "zwfw",
        "zwfw.sqlite",
        "service_cases",
        "政务服务事项办件信息",
        _cols(
            "case_no item_name applicant_name applicant_id_number department_name "
            "accepted_at completed_at status"
        ),
        "case_no",
        "applicant_id_number",
    ),
    DemoTable(
        "swj",
        "swj.sqlite",
        "tax_registrations",
        "税务登记信息",
        _cols(
            "credit_code taxpayer_name kind legal_rep_name tax_authority registered_on "
            "status credit_rating"
        ),
        "credit_code",
    ),
    DemoTable(
        "scjg",
        "scjg-anomalies.sqlite",
        "business_anomalies",
        "经营异常名录信息",
        _cols("credit_code name reason listed_on authority removed_on result"),
        "credit_code",
    ),
    DemoTable(
        "scjg",
        "scjg-inspections.sqlite",
        "spot_checks",
        "“双随机、一公开”抽查结果信息",
        _cols("task_no credit_code name inspected_on inspection_item result authority updated_at"),
        "task_no",
        new_items="task_no=抽查任务编号 credit_code name=企业名称|public "
        "inspected_on=抽查日期 inspection_item=抽查事项|public "
        "result=抽查结果|public authority=检查机关 updated_at=信息更新时间",
        new_summary="市场监管“双随机、一公开”抽查检查结果。",
        new_share=ShareType.UNCONDITIONAL,
    ),
    DemoTable(
        "dsj",
        "dsj-grids.sqlite",
        "grid_residents",
        "网格实有人口信息",
        _cols("id_number name grid_code address registered_on updated_at"),
        "id_number",
        "id_number",
        new_items="id_number name grid_code=网格编码 address=居住地址 "
        "registered_on=采集日期 updated_at=信息更新时间",
        new_summary="网格员采集的网格内实有人口（户籍与流动人口）。",
    ),
    DemoTable(
        "dsj",
        "dsj-grids.sqlite",
        "grid_enterprises",
        "网格市场主体信息",
        _cols("credit_code name grid_code address updated_at"),
        "credit_code",
        new_items="credit_code name=企业名称|public grid_code=网格编码 "
        "address=经营地址|public updated_at=信息更新时间",
        new_summary="网格员走访登记的网格内市场主体。",
    ),
    DemoTable(
        "dsj",
        "dsj-grids.sqlite",
        "grid_services",
        "网格便民服务记录",
        _cols("service_no grid_code service_type served_on updated_at"),
        "service_no",
        new_items="service_no=服务编号 grid_code=网格编码 service_type=服务类型|public "
        "served_on=服务日期 updated_at=信息更新时间",
        new_summary="网格员为居民提供的代办、走访、帮扶等便民服务。",
    ),
    DemoTable(
        "cgj",
        "cgj.sqlite",
        "city_cases",
        "城市管理案件信息",
        _cols("case_no category description location grid_code reported_at closed_at status"),
        "case_no",
    ),
)


@dataclass(frozen=True)
class _Person:
    id_number: str
    name: str
    birth_date: str
    community: str
    address: str


@dataclass(frozen=True)
class _Enterprise:
    credit_code: str
    name: str
    division_code: str
    address: str
    legal_rep: str


def read_people(sources_dir: Path) -> list[_Person]:
    with sqlite3.connect(sources_dir / "gongan.sqlite") as connection:
        rows = connection.execute(
            "SELECT id_number, name, birth_date, domicile_division_code, address FROM people "
            "ORDER BY id_number"
        ).fetchall()
    return [_Person(*row) for row in rows]


def read_enterprises(sources_dir: Path) -> list[_Enterprise]:
    with sqlite3.connect(sources_dir / "scjg.sqlite") as connection:
        rows = connection.execute(
            "SELECT credit_code, name, division_code, address, legal_rep_name FROM enterprises "
            "ORDER BY credit_code"
        ).fetchall()
    return [_Enterprise(*row) for row in rows]


def _pick(value: str, options: Sequence[Any]) -> Any:
    digest = hashlib.sha256(value.encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def _day(rng: random.Random, start_year: int, end: date = date(2026, 10, 31)) -> str:
    start = date(start_year, 1, 1)
    return (start + timedelta(days=rng.randrange((end - start).days))).isoformat()


_PROVINCE_PLATE = "贵A"
_BRANDS = (
    "比亚迪秦PLUS",
    "大众朗逸",
    "丰田卡罗拉",
    "长安CS75",
    "吉利星瑞",
    "五菱宏光MINIEV",
    "本田雅阁",
)
_SERVICE_ITEMS = (
    "居民身份证换领",
    "社会保障卡申领",
    "城乡居民医保参保登记",
    "不动产登记",
    "生育登记",
    "个体工商户设立登记",
    "老年人优待证办理",
    "公积金提取",
)
_CASE_CATEGORIES = ("占道经营", "乱堆物料", "违规广告", "道路破损", "井盖缺失", "垃圾满溢")
_GRID_SERVICES = ("代办社保认证", "独居老人走访", "困难群众帮扶", "矛盾纠纷调解", "政策宣传")
_ANOMALY_REASONS = ("未按规定公示年度报告", "通过登记的住所无法联系", "公示信息隐瞒真实情况")


def table_rows(
    spec: DemoTable,
    people: Sequence[_Person],
    enterprises: Sequence[_Enterprise],
    grids: Sequence[tuple[str, str]],
    seed: int,
) -> Iterator[tuple[Any, ...]]:
    """The rows of one demo table, agreeing with the core registers."""
    rng = random.Random(f"{seed}:{spec.table}")
    by_community: dict[str, list[str]] = {}
    for code, community in grids:
        by_community.setdefault(community, []).append(code)
    all_grids = [code for code, _ in grids] or ["000000000000001"]

    def grid_of(community: str, token: str) -> str:
        return _pick(token, by_community.get(community) or all_grids)

    if spec.table == "medical_insurance":
        for p in people:
            if rng.random() < 0.9:
                kind = "职工基本医疗保险" if rng.random() < 0.45 else "城乡居民基本医疗保险"
                employer = (
                    _pick(p.id_number, enterprises).credit_code
                    if enterprises and kind.startswith("职工")
                    else None
                )
                yield (p.id_number, p.name, kind, employer, _day(rng, 2008), "参保缴费")
    elif spec.table == "vehicles":
        for index, p in enumerate(people):
            if p.birth_date <= "2006-01-01" and rng.random() < 0.3:
                plate = f"{_PROVINCE_PLATE}{index % 100000:05d}"
                yield (
                    plate,
                    "小型普通客车",
                    rng.choice(_BRANDS),
                    f"LVIN{index:013d}",
                    p.name,
                    p.id_number,
                    "非营运",
                    _day(rng, 2012),
                    "2027-06-30",
                    "正常",
                )
    elif spec.table == "driving_licences":
        for p in people:
            if p.birth_date <= "2006-01-01" and rng.random() < 0.55:
                yield (
                    p.id_number,
                    p.name,
                    rng.choice(("C1", "C2", "B2", "A2")),
                    _day(rng, 2000),
                    "2032-01-01",
                    rng.choice((0, 0, 0, 3, 6)),
                    "正常",
                )
    elif spec.table == "real_estate":
        for index, p in enumerate(people):
            if p.birth_date <= "2000-01-01" and rng.random() < 0.35:
                yield (
                    f"黔(2024)贵阳市不动产权第{index:07d}号",
                    f"520100{index:010d}",
                    p.name,
                    p.id_number,
                    p.address,
                    "城镇住宅用地",
                    round(rng.uniform(55, 160), 2),
                    "单独所有",
                    _day(rng, 2010),
                    rng.choice(("无抵押", "抵押")),
                )
    elif spec.table == "service_cases":
        number = 0
        for p in people:
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                number += 1
                accepted = _day(rng, 2024)
                yield (
                    f"ZW{number:010d}",
                    rng.choice(_SERVICE_ITEMS),
                    p.name,
                    p.id_number,
                    "贵阳市政务服务中心",
                    f"{accepted}T09:30:00",
                    f"{accepted}T16:00:00",
                    "办结",
                )
    elif spec.table == "tax_registrations":
        for e in enterprises:
            yield (
                e.credit_code,
                e.name,
                rng.choice(("一般纳税人", "小规模纳税人")),
                e.legal_rep,
                "国家税务总局贵阳市税务局",
                _day(rng, 2012),
                "正常",
                rng.choice(("A", "B", "B", "M", "C")),
            )
    elif spec.table == "business_anomalies":
        for e in enterprises:
            if rng.random() < 0.08:
                yield (
                    e.credit_code,
                    e.name,
                    rng.choice(_ANOMALY_REASONS),
                    _day(rng, 2022),
                    "贵阳市市场监督管理局",
                    None,
                    None,
                )
    elif spec.table == "spot_checks":
        number = 0
        for e in enterprises:
            for _ in range(rng.choice((0, 1, 1, 2))):
                number += 1
                day = _day(rng, 2023)
                yield (
                    f"SJ{number:08d}",
                    e.credit_code,
                    e.name,
                    day,
                    "营业执照（登记证）规范使用",
                    rng.choice(("未发现问题", "未发现问题", "发现问题已责令改正")),
                    "贵阳市市场监督管理局",
                    f"{day}T10:00:00",
                )
    elif spec.table == "grid_residents":
        for p in people:
            yield (
                p.id_number,
                p.name,
                grid_of(p.community, p.id_number),
                p.address,
                _day(rng, 2021),
                AS_OF,
            )
    elif spec.table == "grid_enterprises":
        for e in enterprises:
            community = next((c for _, c in grids if c.startswith(e.division_code)), "")
            yield (e.credit_code, e.name, grid_of(community, e.credit_code), e.address, AS_OF)
    elif spec.table == "grid_services":
        for number in range(1, max(1, len(people) // 4) + 1):
            yield (
                f"FW{number:08d}",
                rng.choice(all_grids),
                rng.choice(_GRID_SERVICES),
                _day(rng, 2025),
                AS_OF,
            )
    elif spec.table == "city_cases":
        for number in range(1, max(1, len(people) // 5) + 1):
            reported = _day(rng, 2025)
            yield (
                f"CG{number:08d}",
                rng.choice(_CASE_CATEGORIES),
                "巡查发现",
                "道路沿线",
                rng.choice(all_grids),
                f"{reported}T08:00:00",
                f"{reported}T18:00:00",
                "已结案",
            )


def write_table(path: Path, spec: DemoTable, rows: Iterator[tuple[Any, ...]]) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {spec.table}")
        key = spec.key_field
        columns = ", ".join(
            f"{c} TEXT PRIMARY KEY" if c == key else f"{c} TEXT" for c in spec.columns
        )
        connection.execute(f"CREATE TABLE {spec.table} ({columns})")
        marks = ",".join("?" * len(spec.columns))
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                connection.executemany(f"INSERT INTO {spec.table} VALUES ({marks})", batch)
                batch.clear()
        connection.executemany(f"INSERT INTO {spec.table} VALUES ({marks})", batch)
