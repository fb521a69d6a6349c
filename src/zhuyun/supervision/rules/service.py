"""Rules as data: listing, adding from a template, tuning and switching rules on and off.
A supervisor manages rules for units within their remit; a city-wide rule needs a
city-wide remit."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, NotFound, Unprocessable
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.identity import service as identity
from zhuyun.supervision.models import Power, Rule
from zhuyun.supervision.remit import Remit
from zhuyun.supervision.rules.templates import TEMPLATES, check_params

_CODE = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")


def ensure_default_rules(session: Session, actor: Actor) -> list[Rule]:
    """One city-wide rule per template with its default parameters, where none exists."""
    have = set(session.scalars(select(Rule.code)))
    added = []
    for template in TEMPLATES.values():
        if template.code in have:
            continue
        rule = Rule(
            code=template.code,
            template=template.code,
            name=template.name_zh,
            params=check_params(template.code, None),
            enabled=True,
            false_positives=0,
            updated_at=utcnow(),
        )
        session.add(rule)
        session.flush()
        record(
            session,
            actor,
            "supervision.rule_added",
            Subject("rule", rule.code),
            {"template": rule.template, "params": rule.params, "unit_id": None},
        )
        added.append(rule)
    return added


def list_rules(
    session: Session, remit: Remit, offset: int = 0, limit: int = 50
) -> tuple[list[Rule], int]:
    conditions: list[ColumnElement[bool]] = []
    if remit.unit_ids is not None:
        conditions.append(Rule.unit_id.is_(None) | Rule.unit_id.in_(remit.unit_ids))
    total = session.scalar(select(func.count()).select_from(Rule).where(*conditions)) or 0
    rows = session.scalars(
        select(Rule).where(*conditions).order_by(Rule.code).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def get_rule(session: Session, code: str) -> Rule:
    rule = session.scalar(select(Rule).where(Rule.code == code))
    if rule is None:
        raise NotFound(
            f"No rule has the code {code!r}.", f"规则“{code}”不存在。", code="rule-not-found"
        )
    return rule


def _may_manage(remit: Remit, unit_id: int | None) -> None:
    if unit_id is None and remit.unit_ids is not None:
        raise Unprocessable(
            "A city-wide rule needs a city-wide remit; name a unit.",
            "全市规则须由全市监督人员设置，请指定单位。",
            status=403,
            code="out-of-remit",
        )
    if unit_id is not None:
        remit.refuse_unless_covers(unit_id)


def add_rule(
    session: Session,
    actor: Actor,
    remit: Remit,
    *,
    code: str,
    template: str,
    name: str,
    unit_id: int | None,
    power_code: str | None,
    params: dict[str, Any] | None,
    enabled: bool,
) -> Rule:
    """A new rule from a template, for the city, a unit or one power."""
    if not _CODE.match(code):
        raise Unprocessable(
            "A rule code is 2–64 lower-case letters, digits, '.', '_' or '-'.",
            "规则编码须为 2–64 位小写字母、数字或 . _ -",
            code="invalid-code",
        )
    checked = check_params(template, params)
    if unit_id is not None:
        identity.get_unit(session, unit_id)  # 404 for a unit that does not exist
    _may_manage(remit, unit_id)
    if (
        power_code is not None
        and session.scalar(select(Power.id).where(Power.code == power_code)) is None
    ):
        raise Unprocessable(
            f"No power has the code {power_code!r}.",
            f"权力“{power_code}”不存在。",
            code="power-not-found",
        )
    if session.scalar(select(Rule.id).where(Rule.code == code)) is not None:
        raise Conflict(
            f"A rule {code!r} exists already.", f"规则“{code}”已存在。", code="rule-exists"
        )
    rule = Rule(
        code=code,
        template=template,
        name=name.strip()[:200] or TEMPLATES[template].name_zh,
        unit_id=unit_id,
        power_code=power_code,
        params=checked,
        enabled=enabled,
        false_positives=0,
        updated_at=utcnow(),
    )
    session.add(rule)
    session.flush()
    record(
        session,
        actor,
        "supervision.rule_added",
        Subject("rule", code),
        {
            "template": template,
            "params": checked,
            "unit_id": unit_id,
            "power_code": power_code,
            "enabled": enabled,
        },
    )
    return rule


def update_rule(
    session: Session,
    actor: Actor,
    remit: Remit,
    rule: Rule,
    *,
    params: dict[str, Any] | None,
    enabled: bool | None,
) -> Rule:
    """Tune a rule's parameters (merged onto the current ones) or switch it on or off."""
    _may_manage(remit, rule.unit_id)
    before = dict(rule.params)
    if params is not None:
        rule.params = check_params(rule.template, {**rule.params, **params})
    if enabled is not None:
        rule.enabled = enabled
    rule.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "supervision.rule_changed",
        Subject("rule", rule.code),
        {"before": before, "after": rule.params, "enabled": rule.enabled},
    )
    return rule
