"""Storing and reading the power list. A save is all or nothing: every draft is checked
first, then the powers (new or replaced by code), their links and one ledger entry per power
go in the caller's transaction. A unit's staff may only list their own unit's powers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.identity import service as identity
from zhuyun.supervision.models import Power, PowerLink
from zhuyun.supervision.powers.spec import (
    Benchmark,
    Issue,
    PowerDraft,
    RiskPoint,
    Step,
    check_power,
)
from zhuyun.supervision.powers.workbook import WorkbookRefused, read_workbook, write_workbook
from zhuyun.supervision.remit import Remit

MAX_WORKBOOK_BYTES = 10 * 1024**2
MAX_EXPORT_POWERS = 5000


def refused(issues: Sequence[Issue], what_en: str, what_zh: str) -> Unprocessable:
    return Unprocessable(
        f"{what_en}: {len(issues)} problem(s), nothing was saved. {issues[0].message_en}",
        f"{what_zh}：共 {len(issues)} 处问题，未保存任何内容。{issues[0].message_zh}",
        code="invalid-power-list",
        errors=[i.as_json() for i in issues[:500]],
    )


def save_powers(
    session: Session, actor: Actor, drafts: Sequence[PowerDraft], remit: Remit
) -> list[Power]:
    """Create or replace these powers (by code); refuse them all if any has a problem or
    belongs to a unit outside the actor's remit."""
    issues = [issue for d in drafts for issue in check_power(d)]
    units: dict[str, int] = {}
    for draft in drafts:
        unit = identity.find_unit_by_code(session, draft.unit_code)
        if unit is None:
            issues.append(
                Issue(
                    f"{draft.code}.unit_code",
                    f"no unit has the code {draft.unit_code!r}",
                    f"没有编码为“{draft.unit_code}”的单位",
                )
            )
        elif not remit.covers(unit.id):
            issues.append(
                Issue(
                    f"{draft.code}.unit_code",
                    f"the unit {draft.unit_code!r} is not yours to list powers for",
                    f"无权为单位“{unit.name}”编制权力清单",
                )
            )
        else:
            units[draft.code] = unit.id
    issues.extend(_link_clashes(session, drafts))
    if issues:
        raise refused(issues, "The power list was refused", "权力清单未通过校验")
    saved = []
    for draft in drafts:
        power = session.scalar(select(Power).where(Power.code == draft.code))
        if power is not None and not remit.covers(power.unit_id):
            raise refused(
                [
                    Issue(
                        f"{draft.code}.code",
                        "the power belongs to a unit outside your remit",
                        "该权力属于您无权管理的单位",
                    )
                ],
                "Refused",
                "未保存",
            )
        created = power is None
        if power is None:
            power = Power(code=draft.code)
            session.add(power)
        power.unit_id = units[draft.code]
        power.name = draft.name
        power.power_type = draft.power_type
        power.legal_basis = draft.legal_basis
        power.responsible = draft.responsible
        power.time_limit_days = draft.time_limit_days
        power.steps = draft.steps_json()
        power.discretion = draft.discretion_json()
        power.risks = draft.risks_json()
        power.updated_at = utcnow()
        session.execute(delete(PowerLink).where(PowerLink.power_code == draft.code))
        links = dict.fromkeys(draft.links)  # the same link twice is one link
        session.add_all(PowerLink(kind=k, code=c, power_code=draft.code) for k, c in links)
        session.flush()
        record(
            session,
            actor,
            "supervision.power_saved",
            Subject("power", draft.code),
            {
                "created": created,
                "unit_id": power.unit_id,
                "power_type": draft.power_type,
                "steps": len(draft.steps),
                "benchmarks": len(draft.discretion),
                "risks": len(draft.risks),
                "links": len(draft.links),
            },
        )
        saved.append(power)
    return saved


def _link_clashes(session: Session, drafts: Sequence[PowerDraft]) -> list[Issue]:
    """A service item or category is the exercise of one power only."""
    issues: list[Issue] = []
    claimed: dict[tuple[str, str], str] = {}
    codes = {d.code for d in drafts}
    for draft in drafts:
        for link in draft.links:
            other = claimed.setdefault(link, draft.code)
            if other == draft.code:
                stored = session.scalar(
                    select(PowerLink.power_code).where(
                        PowerLink.kind == link[0], PowerLink.code == link[1]
                    )
                )
                other = stored if stored and stored not in codes else draft.code
            if other != draft.code:
                issues.append(
                    Issue(
                        f"{draft.code}.links",
                        f"{link[1]!r} is linked to the power {other!r} already",
                        f"“{link[1]}”已关联到权力“{other}”",
                    )
                )
    return issues


def import_workbook(session: Session, actor: Actor, data: bytes, remit: Remit) -> list[Power]:
    """Read a filled-in workbook and save its powers, all or nothing."""
    if len(data) > MAX_WORKBOOK_BYTES:
        raise Unprocessable(
            f"the workbook is larger than {MAX_WORKBOOK_BYTES:,} bytes",
            f"工作簿超过 {MAX_WORKBOOK_BYTES:,} 字节",
            status=413,
            code="too-large",
        )
    try:
        drafts = read_workbook(
            data, lambda code: identity.find_unit_by_code(session, code) is not None
        )
    except WorkbookRefused as refusal:
        raise refused(refusal.issues, "The workbook was refused", "工作簿未通过校验") from None
    return save_powers(session, actor, drafts, remit)


@dataclass(frozen=True)
class PowerFilter:
    unit_id: int | None = None
    power_type: str | None = None
    query: str | None = None


def _conditions(where: PowerFilter, remit: Remit) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if remit.unit_ids is not None:
        conditions.append(Power.unit_id.in_(remit.unit_ids))
    if where.unit_id is not None:
        conditions.append(Power.unit_id == where.unit_id)
    if where.power_type:
        conditions.append(Power.power_type == where.power_type)
    if where.query:
        like = f"%{where.query}%"
        conditions.append(or_(Power.name.like(like), Power.code.like(like)))
    return conditions


def list_powers(
    session: Session, where: PowerFilter, remit: Remit, offset: int = 0, limit: int = 50
) -> tuple[list[Power], int]:
    conditions = _conditions(where, remit)
    total = session.scalar(select(func.count()).select_from(Power).where(*conditions)) or 0
    rows = session.scalars(
        select(Power).where(*conditions).order_by(Power.code).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def get_power(session: Session, code: str, remit: Remit | None = None) -> Power:
    power = session.scalar(select(Power).where(Power.code == code))
    if power is None or (remit is not None and not remit.covers(power.unit_id)):
        raise NotFound(
            f"No power has the code {code!r}.", f"权力“{code}”不存在。", code="power-not-found"
        )
    return power


def links_of(session: Session, codes: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    rows = session.scalars(select(PowerLink).where(PowerLink.power_code.in_(set(codes))))
    for link in rows:
        found.setdefault(link.power_code, []).append((link.kind, link.code))
    return found


def power_codes_for_links(session: Session) -> dict[tuple[str, str], str]:
    """(kind, code) → power code: how the rules find the power of a linked entry."""
    return {
        (k, c): p
        for k, c, p in session.execute(select(PowerLink.kind, PowerLink.code, PowerLink.power_code))
    }


def draft_of(power: Power, unit_code: str, links: list[tuple[str, str]]) -> PowerDraft:
    return PowerDraft(
        code=power.code,
        unit_code=unit_code,
        name=power.name,
        power_type=power.power_type,
        legal_basis=power.legal_basis,
        responsible=power.responsible,
        time_limit_days=power.time_limit_days,
        steps=[Step(**s) for s in power.steps],
        discretion=[Benchmark(**b) for b in power.discretion],
        risks=[RiskPoint(**r) for r in power.risks],
        links=links,
    )


def export_workbook(
    session: Session, where: PowerFilter, remit: Remit, *, blank: bool = False
) -> bytes:
    """The listed powers as the workbook a unit fills in (`blank`: the empty template)."""
    if blank:
        return write_workbook([])
    powers, _ = list_powers(session, where, remit, 0, MAX_EXPORT_POWERS)
    codes = {u.id: u.code for u in identity.units_by_id(session, {p.unit_id for p in powers})}
    links = links_of(session, [p.code for p in powers])
    return write_workbook(draft_of(p, codes[p.unit_id], links.get(p.code, [])) for p in powers)
