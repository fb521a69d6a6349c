"""Org units: the region tree (GB/T 2260 codes) and the departments and organisations in it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from zhuyun.core.divisions import is_valid_division_code, lies_within
from zhuyun.core.errors import Conflict, NotFound, Unprocessable
from zhuyun.core.ids import InvalidIdentifier, parse_credit_code
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.identity.models import OrgUnit


class UnitKind(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    DEPARTMENT = "department"
    ORGANISATION = "organisation"


UNIT_KIND_LABELS_ZH = {
    UnitKind.CITY: "市",
    UnitKind.DISTRICT: "区（县、市）",
    UnitKind.STREET: "街道（乡镇）",
    UnitKind.COMMUNITY: "社区（村）",
    UnitKind.DEPARTMENT: "部门",
    UnitKind.ORGANISATION: "协同单位",
}

# Which kind of unit may hang under which: the region tree, then departments and organisations.
_ALLOWED_PARENTS: dict[UnitKind, set[UnitKind | None]] = {
    UnitKind.CITY: {None},
    UnitKind.DISTRICT: {UnitKind.CITY},
    UnitKind.STREET: {UnitKind.DISTRICT},
    UnitKind.COMMUNITY: {UnitKind.STREET},
    UnitKind.DEPARTMENT: {UnitKind.CITY, UnitKind.DISTRICT},
    UnitKind.ORGANISATION: {UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY},
}


@dataclass(frozen=True)
class UnitDraft:
    """What it takes to create a unit; `division_code` defaults to the parent's."""

    code: str
    name: str
    kind: UnitKind
    parent_id: int | None = None
    division_code: str | None = None
    credit_code: str | None = None
    category: str | None = None


def _unit_problem(en: str, zh: str) -> Unprocessable:
    return Unprocessable(en, zh, code="invalid-unit")


_REGIONS = {UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY}


def _division_fits(kind: UnitKind, code: str, parent_code: str) -> bool:
    """A region lies inside its parent region; a department or organisation in its region."""
    if kind in _REGIONS:
        return lies_within(code, parent_code)
    return code == parent_code or lies_within(code, parent_code)


def create_unit(session: Session, actor: Actor, draft: UnitDraft) -> OrgUnit:
    """Create a unit after checking its place in the tree; recorded in the ledger."""
    kind = UnitKind(draft.kind)
    parent = session.get(OrgUnit, draft.parent_id) if draft.parent_id is not None else None
    if draft.parent_id is not None and parent is None:
        raise NotFound(
            f"Parent unit {draft.parent_id} does not exist.",
            f"上级单位 {draft.parent_id} 不存在。",
            code="unit-not-found",
        )
    parent_kind = UnitKind(parent.kind) if parent else None
    if parent_kind not in _ALLOWED_PARENTS[kind]:
        raise _unit_problem(
            f"A {kind.value} cannot be placed under a {parent_kind or 'nothing (top level)'}.",
            f"{UNIT_KIND_LABELS_ZH[kind]}不能挂在"
            f"{UNIT_KIND_LABELS_ZH[parent_kind] if parent_kind else '顶层'}之下。",
        )
    if not draft.code.strip() or not draft.name.strip():
        raise _unit_problem("A unit needs a code and a name.", "单位必须有代码和名称。")
    if session.scalar(select(OrgUnit.id).where(OrgUnit.code == draft.code)) is not None:
        raise Conflict(
            f"Unit code {draft.code} is already taken.",
            f"单位代码 {draft.code} 已被占用。",
            code="unit-code-taken",
        )
    division_code = draft.division_code or (parent.division_code if parent else None)
    if not division_code or not is_valid_division_code(division_code):
        raise _unit_problem(
            f"{division_code!r} is not a GB/T 2260 division code.",
            f"“{division_code}”不是有效的行政区划代码。",
        )
    if parent is not None and not _division_fits(kind, division_code, parent.division_code):
        raise _unit_problem(
            f"Division {division_code} does not lie within the parent's {parent.division_code}.",
            f"行政区划代码 {division_code} 不在上级单位的区划 {parent.division_code} 之内。",
        )
    credit_code = None
    if draft.credit_code:
        try:
            credit_code = parse_credit_code(draft.credit_code).code
        except InvalidIdentifier as exc:
            raise Unprocessable(exc.message_en, exc.message_zh, code="invalid-credit-code") from exc
    if credit_code and session.scalar(select(OrgUnit.id).where(OrgUnit.credit_code == credit_code)):
        raise Conflict(
            f"Credit code {credit_code} already belongs to a unit.",
            f"统一社会信用代码 {credit_code} 已属于其他单位。",
            code="credit-code-taken",
        )
    unit = OrgUnit(
        code=draft.code.strip(),
        name=draft.name.strip(),
        kind=kind.value,
        parent_id=parent.id if parent else None,
        division_code=division_code,
        credit_code=credit_code,
        category=draft.category,
        is_active=True,
    )
    session.add(unit)
    session.flush()
    record(
        session,
        actor,
        "unit.created",
        Subject("unit", unit.id),
        {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "parent_id": unit.parent_id,
            "division_code": division_code,
        },
    )
    return unit


def rename_unit(
    session: Session,
    actor: Actor,
    unit_id: int,
    name: str | None = None,
    is_active: bool | None = None,
) -> OrgUnit:
    unit = get_unit(session, unit_id)
    changes: dict[str, object] = {}
    if name is not None and name.strip() and name.strip() != unit.name:
        changes["name"] = [unit.name, name.strip()]
        unit.name = name.strip()
    if is_active is not None and is_active != unit.is_active:
        changes["is_active"] = [unit.is_active, is_active]
        unit.is_active = is_active
    if changes:
        record(session, actor, "unit.updated", Subject("unit", unit.id), changes)
    return unit


def get_unit(session: Session, unit_id: int) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound(
            f"Unit {unit_id} does not exist.", f"单位 {unit_id} 不存在。", code="unit-not-found"
        )
    return unit


def units_by_id(session: Session, unit_ids: Iterable[int]) -> list[OrgUnit]:
    """The units with these ids (those that exist), for naming them in lists."""
    wanted = set(unit_ids)
    if not wanted:
        return []
    return list(session.scalars(select(OrgUnit).where(OrgUnit.id.in_(wanted))))


def unit_names(session: Session, unit_ids: Iterable[int | None]) -> dict[int, str]:
    """Unit id → name for the ids given (None and unknown ids skipped), in one query."""
    return {u.id: u.name for u in units_by_id(session, {i for i in unit_ids if i})}


def find_unit_by_code(session: Session, code: str) -> OrgUnit | None:
    return session.scalar(select(OrgUnit).where(OrgUnit.code == code))


def list_units(
    session: Session,
    *,
    kind: str | None = None,
    parent_id: int | None = None,
    query: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[Sequence[OrgUnit], int]:
    conditions = []
    if kind:
        conditions.append(OrgUnit.kind == kind)
    if parent_id is not None:
        conditions.append(OrgUnit.parent_id == parent_id)
    if query:
        like = f"%{query}%"
        conditions.append(or_(OrgUnit.name.like(like), OrgUnit.code.like(like)))
    total = session.scalar(select(func.count()).select_from(OrgUnit).where(*conditions)) or 0
    rows = session.scalars(
        select(OrgUnit).where(*conditions).order_by(OrgUnit.code).offset(offset).limit(limit)
    ).all()
    return rows, total


def unit_path(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors from the top down, ending with the unit itself."""
    path = [unit]
    while path[-1].parent_id is not None and len(path) < 10:
        path.append(get_unit(session, path[-1].parent_id))
    return list(reversed(path))


def count_units_by_kind(session: Session) -> dict[str, int]:
    rows = session.execute(select(OrgUnit.kind, func.count()).group_by(OrgUnit.kind)).all()
    return {kind: count for kind, count in rows}


def count_children(session: Session, unit_ids: Sequence[int]) -> dict[int, int]:
    if not unit_ids:
        return {}
    rows = session.execute(
        select(OrgUnit.parent_id, func.count())
        .where(OrgUnit.parent_id.in_(unit_ids))
        .group_by(OrgUnit.parent_id)
    ).all()
    return {parent_id: count for parent_id, count in rows if parent_id is not None}
