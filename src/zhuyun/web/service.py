"""The home dashboard's figures and the ledger's readable form, shared by pages and the API."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core import ledger
from zhuyun.core.db import utcnow
from zhuyun.core.divisions import GUIYANG, guiyang_division
from zhuyun.core.ledger import Actor, LedgerEntry, Subject
from zhuyun.identity import service as identity
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import ACCOUNT_KIND_LABELS_ZH, ROLE_LABELS_ZH, AccountKind, Role
from zhuyun.identity.service.units import UNIT_KIND_LABELS_ZH, UnitKind
from zhuyun.web.models import KeyFigure
from zhuyun.web.rendering import local_time

ACTIVITY_LABELS_ZH: dict[str, str] = {
    "auth.login": "登录",
    "auth.logout": "退出登录",
    "auth.login_failed": "登录失败",
    "auth.login_refused": "拒绝登录",
    "auth.account_locked": "账号锁定",
    "auth.csrf_failed": "表单令牌校验失败",
    "auth.token_refused": "令牌被拒绝",
    "auth.session_refused": "会话失效",
    "auth.forbidden": "越权访问被拒绝",
    "unit.created": "新建单位",
    "unit.updated": "修改单位",
    "account.created": "新建账号",
    "account.registered": "注册账号",
    "account.role_granted": "授予角色",
    "account.role_revoked": "收回角色",
    "account.activated": "启用账号",
    "account.deactivated": "停用账号",
    "account.unlocked": "解锁账号",
    "account.password_changed": "修改密码",
    "token.issued": "签发令牌",
    "token.revoked": "吊销令牌",
    "figures.updated": "更新关键指标",
    "ledger.verified": "校验台账",
    "demo.built": "生成演示城市",
}

FIGURE_LABELS_ZH: dict[str, tuple[str, str]] = {
    "population": ("户籍人口", "人"),
    "households": ("户数", "户"),
    "enterprises": ("市场主体", "户"),
}


def set_key_figures(
    session: Session, actor: Actor, source: str, figures: Mapping[tuple[str, str], int]
) -> None:
    """Replace the named figures (name, division code) → value; recorded in the ledger."""
    now = utcnow()
    existing = {
        (f.name, f.division_code): f
        for f in session.scalars(
            select(KeyFigure).where(KeyFigure.name.in_({name for name, _ in figures}))
        )
    }
    for key, value in figures.items():
        figure = existing.get(key)
        if figure is None:
            session.add(
                KeyFigure(name=key[0], division_code=key[1], value=value, source=source, as_of=now)
            )
        else:
            figure.value, figure.source, figure.as_of = value, source, now
    session.flush()
    record_names = sorted({name for name, _ in figures})
    ledger.record(
        session,
        actor,
        "figures.updated",
        Subject("figures", source),
        {"names": record_names, "rows": len(figures)},
    )


def _figures(session: Session) -> dict[tuple[str, str], int]:
    return {(f.name, f.division_code): f.value for f in session.scalars(select(KeyFigure))}


@dataclass(frozen=True)
class LedgerRow:
    seq: int
    occurred_at: str
    activity: str
    activity_label: str
    actor_name: str
    role_label: str
    unit_name: str
    case_id: str
    attrs_text: str


def ledger_rows(session: Session, entries: Sequence[LedgerEntry]) -> list[LedgerRow]:
    unit_ids = {e.unit_id for e in entries if e.unit_id is not None}
    names = (
        dict(
            session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(unit_ids))).all()
        )
        if unit_ids
        else {}
    )
    rows = []
    for e in entries:
        role_label = (
            ROLE_LABELS_ZH.get(Role(e.role), e.role) if e.role in set(Role) else (e.role or "")
        )
        rows.append(
            LedgerRow(
                seq=e.seq,
                occurred_at=local_time(e.occurred_at),
                activity=e.activity,
                activity_label=ACTIVITY_LABELS_ZH.get(e.activity, e.activity),
                actor_name=e.actor_name,
                role_label=role_label,
                unit_name=names.get(e.unit_id, "") if e.unit_id else "",
                case_id=e.case_id,
                attrs_text=json.dumps(e.attrs, ensure_ascii=False)[:300] if e.attrs else "",
            )
        )
    return rows


@dataclass(frozen=True)
class Dashboard:
    city_name: str
    figures: list[dict[str, Any]]
    charts: dict[str, list[dict[str, Any]]]
    recent: list[LedgerRow]


def dashboard(session: Session) -> Dashboard:
    """The city's key figures, read from the platform database only."""
    figures = _figures(session)
    units = identity.count_units_by_kind(session)
    accounts = identity.count_accounts_by_kind(session)
    _, ledger_total = ledger.list_entries(session, ledger.LedgerQuery(), 0, 1)
    cards: list[dict[str, Any]] = []
    for name, (label, unit) in FIGURE_LABELS_ZH.items():
        if (name, GUIYANG) in figures:
            cards.append(
                {
                    "label": label,
                    "value": f"{figures[(name, GUIYANG)]:,}",
                    "unit": unit,
                    "hint": "来自部门数据（演示城市）",
                }
            )
    for kind, label in (
        (UnitKind.DEPARTMENT, "政务部门"),
        (UnitKind.ORGANISATION, "协同单位"),
        (UnitKind.STREET, "街道（乡镇）"),
        (UnitKind.COMMUNITY, "社区（村）"),
    ):
        cards.append(
            {
                "label": label,
                "value": f"{units.get(kind.value, 0):,}",
                "unit": "个",
                "hint": "组织机构",
            }
        )
    cards.append(
        {
            "label": "注册账号",
            "value": f"{sum(accounts.values()):,}",
            "unit": "个",
            "hint": "一个号，全平台通用",
        }
    )
    cards.append(
        {"label": "台账记录", "value": f"{ledger_total:,}", "unit": "条", "hint": "哈希链封存"}
    )
    population: list[dict[str, Any]] = [
        {"name": _division_name(code), "value": value}
        for (name, code), value in sorted(figures.items(), key=lambda item: -item[1])
        if name == "population" and code != GUIYANG
    ]
    charts = {
        "population_by_district": population,
        "units_by_kind": [
            {"name": UNIT_KIND_LABELS_ZH[UnitKind(k)], "value": v} for k, v in sorted(units.items())
        ],
        "ledger_by_day": [
            {"day": day, "count": n}
            for day, n in ledger.count_by_day(session, utcnow() - timedelta(days=30))
        ],
        "accounts_by_kind": [
            {"name": ACCOUNT_KIND_LABELS_ZH[AccountKind(k)], "value": v}
            for k, v in sorted(accounts.items())
        ],
    }
    recent, _ = ledger.list_entries(session, ledger.LedgerQuery(), 0, 10)
    return Dashboard(
        city_name="贵阳市", figures=cards, charts=charts, recent=ledger_rows(session, recent)
    )


def _division_name(code: str) -> str:
    try:
        return guiyang_division(code).name
    except KeyError:
        return code


def verify_ledger(session: Session, actor: Actor) -> ledger.VerifyReport:
    """Verify the chain; a passing run leaves a checkpoint; either way it is recorded."""
    report = ledger.verify(session)
    if report.ok:
        ledger.checkpoint(session)
    ledger.record(
        session,
        actor,
        "ledger.verified",
        Subject("ledger", "chain"),
        {"ok": report.ok, "checked": report.checked, "broken_seq": report.broken_seq},
    )
    return report
