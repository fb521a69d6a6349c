"""The duty matrix (责任清单) and dispatch: category × jurisdiction → the responsible unit.

The matrix is data (`governance_duty_rules`): a rule names a category, a jurisdiction — the
city `520100`, a district (6 digits) or a street (9) — and the unit responsible there, and
optionally a collaborating organisation asked to assist. The most specific rule wins: the
order's street, then its district, then the city. `seed_duty_matrix` fills it from the units
that exist, as the demo does; an admin may change rules with `set_rule`.

The city command centre (市12345热线/指挥中心) is the unit that redispatches returned orders
and receives the second level of escalations: the first of `COMMAND_CENTRE_CODES` that exists.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.divisions import GUIYANG, DivisionLevel, guiyang_divisions
from zhuyun.core.errors import Unprocessable
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.governance.models import DutyRule
from zhuyun.governance.service.categories import BY_CODE, CATEGORIES
from zhuyun.identity import service as identity
from zhuyun.identity.models import OrgUnit

COMMAND_CENTRE_CODES = ("zwfw", "dsj")  # 政务服务中心 runs the 12345 hotline; else 大数据局
_centres: dict[str, int] = {}


def command_centre_id(session: Session) -> int:
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    if key not in _centres:
        for code in COMMAND_CENTRE_CODES:
            unit = identity.find_unit_by_code(session, code)
            if unit is not None:
                _centres[key] = unit.id
                break
        else:
            raise Unprocessable(
                "The city has no command centre unit (zwfw or dsj).",
                "本市尚无指挥中心单位（政务服务中心或大数据局）。",
                code="no-command-centre",
            )
    return _centres[key]


def responsible(
    session: Session, category: str, street_code: str | None, district_code: str | None
) -> DutyRule | None:
    """The most specific rule of the matrix for the category where the order lies."""
    places = [c for c in (street_code, district_code, GUIYANG) if c]
    rules = session.scalars(
        select(DutyRule).where(DutyRule.category == category, DutyRule.division_code.in_(places))
    ).all()
    by_place = {r.division_code: r for r in rules}
    return next((by_place[p] for p in places if p in by_place), None)


def responsible_many(
    session: Session, places: set[tuple[str, str | None, str | None]]
) -> dict[tuple[str, str | None, str | None], DutyRule | None]:
    """`responsible` for many (category, street, district) at once: one query for a batch."""
    if not places:
        return {}
    divisions = {GUIYANG} | {c for _, s, d in places for c in (s, d) if c}
    rules = session.scalars(
        select(DutyRule).where(
            DutyRule.category.in_({c for c, _, _ in places}),
            DutyRule.division_code.in_(divisions),
        )
    ).all()
    by_cell = {(r.category, r.division_code): r for r in rules}
    return {
        (category, street, district): next(
            (
                by_cell[(category, p)]
                for p in (street, district, GUIYANG)
                if p and (category, p) in by_cell
            ),
            None,
        )
        for category, street, district in places
    }


def set_rule(
    session: Session,
    actor: Actor,
    category: str,
    division_code: str,
    unit_id: int,
    assist_unit_id: int | None = None,
    *,
    ledgered: bool = True,
) -> DutyRule:
    if category not in BY_CODE:
        raise Unprocessable(
            f"Unknown category {category!r}.", f"未知事项类别 {category}。", code="unknown-category"
        )
    rule = session.scalar(
        select(DutyRule).where(
            DutyRule.category == category, DutyRule.division_code == division_code
        )
    )
    if rule is None:
        rule = DutyRule(category=category, division_code=division_code, unit_id=unit_id)
        session.add(rule)
    rule.unit_id = unit_id
    rule.assist_unit_id = assist_unit_id
    session.flush()
    if ledgered:
        record(
            session,
            actor,
            "workorder.duty_rule_set",
            Subject("duty_rule", f"{category}:{division_code}"),
            {
                "category": category,
                "division_code": division_code,
                "unit_id": unit_id,
                "assist_unit_id": assist_unit_id,
            },
        )
    return rule


def _all(session: Session, kind: str) -> list[OrgUnit]:
    rows, _ = identity.list_units(session, kind=kind, limit=100_000)
    return list(rows)


def seed_duty_matrix(session: Session, actor: Actor) -> int:
    """Fill the matrix from the units that exist: for every category, the city's department
    at city level and the district's counterpart (or the street office) below it, with the
    first collaborating organisation of the category's assist kind in that district."""
    departments = {u.code: u for u in _all(session, "department")}
    streets = {u.code: u for u in _all(session, "street")}
    districts = {u.code: u for u in _all(session, "district")}
    organisations: dict[tuple[str, str], OrgUnit] = {}
    for org in _all(session, "organisation"):
        district = next((d for d in districts.values() if d.id == org.parent_id), None)
        if district is not None and org.category:
            organisations.setdefault((district.code, org.category), org)
    count = 0
    for category in CATEGORIES:
        city_unit = next((departments[f] for f in category.functions if f in departments), None)
        if city_unit is None:
            city_unit = departments.get("cgj") or next(iter(departments.values()))
        set_rule(session, actor, category.code, GUIYANG, city_unit.id, ledgered=False)
        count += 1
        for district in _districts(districts.values()):
            assist = (
                organisations.get((district.code, category.assist_kind))
                if category.assist_kind
                else None
            )
            if category.functions == ("street",):
                for street in (s for s in streets.values() if s.parent_id == district.id):
                    set_rule(
                        session,
                        actor,
                        category.code,
                        street.code,
                        street.id,
                        assist.id if assist else None,
                        ledgered=False,
                    )
                    count += 1
                continue
            unit = next(
                (
                    departments[f"{district.code}.{f}"]
                    for f in category.functions
                    if f"{district.code}.{f}" in departments
                ),
                city_unit,
            )
            set_rule(
                session,
                actor,
                category.code,
                district.code,
                unit.id,
                assist.id if assist else None,
                ledgered=False,
            )
            count += 1
    record(
        session,
        actor,
        "workorder.duty_matrix_seeded",
        Subject("duty_matrix", GUIYANG),
        {"rules": count},
    )
    return count


def _districts(units: Iterable[OrgUnit]) -> list[OrgUnit]:
    known = {d.code for d in guiyang_divisions(DivisionLevel.DISTRICT)}
    return sorted((u for u in units if u.code in known), key=lambda u: u.code)


def matrix(session: Session, category: str | None = None) -> list[DutyRule]:
    query = select(DutyRule).order_by(DutyRule.category, DutyRule.division_code)
    if category:
        query = query.where(DutyRule.category == category)
    return list(session.scalars(query.limit(5_000)))
