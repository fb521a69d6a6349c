"""Raising warnings from findings and moving them through their lifecycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from zhuyun.core.calendar import CHINA_TIME
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from zhuyun.core.holidays import load_calendar
from zhuyun.core.ledger import SYSTEM, Actor, Subject, record
from zhuyun.identity.permissions import Principal
from zhuyun.supervision.models import Rule, RuleWarning
from zhuyun.supervision.remit import Remit
from zhuyun.supervision.rules.engine import Finding, due_at
from zhuyun.supervision.rules.templates import TEMPLATES, check_params

LEVELS = {"yellow": "黄牌", "red": "红牌"}
STATUSES = {
    "open": "待说明",
    "explained": "已说明待核查",
    "closed": "已办结",
    "false_positive": "误报",
}
ESCALATION_ZH = ("经办人", "分管领导", "副职领导", "纪检监察")
ESCALATION_EN = ("officer", "supervising leader", "deputy head", "discipline inspection")
MAX_TEXT = 2000


def _ladder(session: Session) -> tuple[int, int, int]:
    rule = session.scalar(select(Rule).where(Rule.template == "escalation", Rule.enabled))
    params = check_params("escalation", rule.params if rule else None)
    return int(params["leader_days"]), int(params["deputy_days"]), int(params["discipline_days"])


def raise_findings(session: Session, findings: Sequence[Finding]) -> list[RuleWarning]:
    """A warning for each finding not raised before (by rule, case and key)."""
    if not findings:
        return []
    keys = {f.dedupe_key for f in findings}
    known = set(
        session.scalars(select(RuleWarning.dedupe_key).where(RuleWarning.dedupe_key.in_(keys)))
    )
    leader_days = _ladder(session)[0]
    calendar = load_calendar(session)
    raised: list[RuleWarning] = []
    now = utcnow()
    for finding in findings:
        if finding.dedupe_key in known:
            continue
        known.add(finding.dedupe_key)
        warning = RuleWarning(
            dedupe_key=finding.dedupe_key,
            rule_code=finding.rule.code,
            template=finding.rule.template,
            level=finding.level,
            status="open",
            escalation=0,
            case_id=finding.case_id,
            power_code=finding.power_code,
            unit_id=finding.unit_id,
            officer_id=finding.officer_id,
            ledger_seq=finding.seq,
            message_zh=finding.message_zh[:500],
            message_en=finding.message_en[:500],
            details=finding.details,
            raised_at=now,
            event_at=finding.event_at,
            explain_by=due_at(calendar, now, leader_days),
            updated_at=now,
        )
        session.add(warning)
        session.flush()
        record(
            session,
            SYSTEM,
            "supervision.warning_raised",
            Subject("warning", warning.id),
            {
                "rule": finding.rule.code,
                "template": finding.rule.template,
                "level": finding.level,
                "case": finding.case_id,
                "unit_id": finding.unit_id,
                "officer_id": finding.officer_id,
                "ledger_seq": finding.seq,
            },
        )
        raised.append(warning)
    return raised


@dataclass(frozen=True)
class WarningFilter:
    status: str | None = None
    level: str | None = None
    unit_id: int | None = None
    template: str | None = None
    officer_id: int | None = None
    case_id: str | None = None


def list_warnings(
    session: Session, where: WarningFilter, remit: Remit | None, offset: int = 0, limit: int = 50
) -> tuple[list[RuleWarning], int]:
    """Newest first; `remit` limits to the units a supervisor watches (None: no limit, used
    for an officer's own warnings with `officer_id`)."""
    conditions: list[ColumnElement[bool]] = []
    if remit is not None and remit.unit_ids is not None:
        conditions.append(RuleWarning.unit_id.in_(remit.unit_ids))
    for column, value in (
        (RuleWarning.status, where.status),
        (RuleWarning.level, where.level),
        (RuleWarning.unit_id, where.unit_id),
        (RuleWarning.template, where.template),
        (RuleWarning.officer_id, where.officer_id),
        (RuleWarning.case_id, where.case_id),
    ):
        if value is not None:
            conditions.append(column == value)
    total = session.scalar(select(func.count()).select_from(RuleWarning).where(*conditions)) or 0
    rows = session.scalars(
        select(RuleWarning)
        .where(*conditions)
        .order_by(RuleWarning.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def get_warning(session: Session, warning_id: int) -> RuleWarning:
    warning = session.get(RuleWarning, warning_id)
    if warning is None:
        raise NotFound(
            f"Warning {warning_id} does not exist.",
            f"预警 {warning_id} 不存在。",
            code="warning-not-found",
        )
    return warning


def _text(value: str, name_en: str, name_zh: str) -> str:
    text = (value or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise Unprocessable(
            f"The {name_en} must be 1–{MAX_TEXT} characters.",
            f"{name_zh}须为 1–{MAX_TEXT} 个字符。",
            code="invalid-text",
        )
    return text


def _change(
    session: Session, actor: Actor, warning: RuleWarning, activity: str, **attrs: object
) -> None:
    warning.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        f"supervision.warning_{activity}",
        Subject("warning", warning.id),
        {
            "status": warning.status,
            "escalation": warning.escalation,
            "unit_id": warning.unit_id,
            **attrs,
        },
    )


def explain(session: Session, principal: Principal, warning: RuleWarning, text: str) -> None:
    """The officer (or, for a warning on no one, the unit's staff) explains."""
    mine = warning.officer_id == principal.account_id or (
        warning.officer_id is None and warning.unit_id == principal.unit_id
    )
    if not mine:
        raise Forbidden(
            "Only the officer the warning concerns explains it.",
            "只有预警所涉的经办人可以作出说明。",
            code="not-your-warning",
        )
    if warning.status not in ("open",):
        raise Conflict(
            f"The warning is {warning.status}; it takes no explanation now.",
            f"预警当前状态为“{STATUSES[warning.status]}”，无需说明。",
            code="wrong-status",
        )
    warning.explanation = _text(text, "explanation", "情况说明")
    warning.status = "explained"
    _change(session, principal.as_actor(), warning, "explained")


def verify(
    session: Session,
    actor: Actor,
    remit: Remit,
    warning: RuleWarning,
    accepted: bool,
    feedback: str,
) -> None:
    """The supervisor checks the explanation: accepted closes the warning, refused sends it
    back to the officer (the escalation clock keeps running)."""
    remit.refuse_unless_covers(warning.unit_id)
    if warning.status != "explained":
        raise Conflict(
            "Only an explained warning can be verified.",
            "只有已说明的预警可以核查。",
            code="wrong-status",
        )
    warning.feedback = _text(feedback, "feedback", "核查意见")
    warning.status = "closed" if accepted else "open"
    if accepted:
        warning.closed_at = utcnow()
    _change(session, actor, warning, "verified", accepted=accepted)


def mark_false_positive(
    session: Session, actor: Actor, remit: Remit, warning: RuleWarning, reason: str
) -> Rule | None:
    """Close the warning as a false positive and tune its rule the way its template says
    (e.g. widen the IQR fences): the change to the rule is ledgered with before and after."""
    remit.refuse_unless_covers(warning.unit_id)
    if warning.status in ("closed", "false_positive"):
        raise Conflict("The warning is closed already.", "预警已办结。", code="wrong-status")
    warning.feedback = _text(reason, "reason", "误报理由")
    warning.status = "false_positive"
    warning.closed_at = utcnow()
    _change(session, actor, warning, "false_positive")
    rule = session.scalar(select(Rule).where(Rule.code == warning.rule_code))
    if rule is None:
        return None
    rule.false_positives += 1
    template = TEMPLATES[rule.template]
    before = check_params(rule.template, rule.params)
    if template.tune is not None:
        rule.params = check_params(rule.template, template.tune(before))
    rule.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "supervision.rule_tuned",
        Subject("rule", rule.code),
        {
            "warning": warning.id,
            "before": before,
            "after": rule.params,
            "false_positives": rule.false_positives,
        },
    )
    return rule


def escalate_due(session: Session, now: datetime | None = None) -> list[RuleWarning]:
    """Unexplained warnings climb the ladder: after the leader, deputy and discipline
    thresholds (working days since raised) to the next level; each step ledgered."""
    now = now or utcnow()
    ladder = _ladder(session)
    calendar = load_calendar(session)
    today = now.astimezone(CHINA_TIME).date()
    moved = []
    for warning in session.scalars(
        select(RuleWarning)
        .where(RuleWarning.status == "open", RuleWarning.escalation < 3)
        .limit(10_000)
    ):
        days = calendar.working_days_between(warning.raised_at.astimezone(CHINA_TIME).date(), today)
        level = sum(1 for threshold in ladder if days >= threshold)
        if level > warning.escalation:
            warning.escalation = level
            _change(
                session, SYSTEM, warning, "escalated", to=ESCALATION_EN[level], working_days=days
            )
            moved.append(warning)
    return moved
