"""评价: scores per unit and per officer from the cases the rules tracked and the warnings
they raised — timeliness (cases ended within their limit), conformance (cases without a
process warning), ratings (from the ledger, e.g. services' 好差评) and warnings — and the
trends the dashboard draws."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.calendar import CHINA_TIME
from zhuyun.core.db import utcnow
from zhuyun.core.errors import NotFound
from zhuyun.identity import service as identity
from zhuyun.supervision.models import PowerCase, RuleWarning
from zhuyun.supervision.remit import Remit

MAX_CASES = 50_000
PROCESS_TEMPLATES = ("step_order", "segregation")
WEIGHTS = {"timeliness": 0.4, "conformance": 0.3, "rating": 0.2, "warnings": 0.1}


@dataclass
class Score:
    key: int
    name: str = ""
    cases: int = 0
    ended: int = 0
    on_time: int = 0
    deviating: int = 0
    warnings: int = 0
    red_warnings: int = 0
    ratings: list[int] = field(default_factory=list)

    @property
    def timeliness(self) -> float | None:
        return self.on_time / self.ended if self.ended else None

    @property
    def conformance(self) -> float | None:
        return 1 - self.deviating / self.cases if self.cases else None

    @property
    def rating(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    @property
    def score(self) -> float | None:
        """0–100: the weighted parts that can be measured, re-weighted to sum to one."""
        parts = {
            "timeliness": self.timeliness,
            "conformance": self.conformance,
            "rating": (self.rating - 1) / 4 if self.rating is not None else None,
            "warnings": 1 - min(1.0, self.red_warnings / self.cases) if self.cases else None,
        }
        known = {k: v for k, v in parts.items() if v is not None}
        if not known:
            return None
        weight = sum(WEIGHTS[k] for k in known)
        return round(100 * sum(WEIGHTS[k] * v for k, v in known.items()) / weight, 1)

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "name": self.name,
            "cases": self.cases,
            "ended": self.ended,
            "timeliness": self.timeliness,
            "conformance": self.conformance,
            "warnings": self.warnings,
            "red_warnings": self.red_warnings,
            "rating": self.rating,
            "score": self.score,
        }


def _cases(session: Session, remit: Remit) -> list[PowerCase]:
    query = select(PowerCase).order_by(PowerCase.id.desc()).limit(MAX_CASES)
    if remit.unit_ids is not None:
        query = query.where(PowerCase.unit_id.in_(remit.unit_ids))
    return list(session.scalars(query))


def _warnings(session: Session, remit: Remit) -> list[RuleWarning]:
    query = select(RuleWarning).where(RuleWarning.status != "false_positive")
    if remit.unit_ids is not None:
        query = query.where(RuleWarning.unit_id.in_(remit.unit_ids))
    return list(session.scalars(query.order_by(RuleWarning.id.desc()).limit(MAX_CASES)))


def scores(session: Session, remit: Remit, by: str) -> list[Score]:
    """Scores by "unit" or by "officer" (every account that took a step of a case), best
    first."""
    table: dict[int, Score] = {}
    deviating = {w.case_id for w in _warnings(session, remit) if w.template in PROCESS_TEMPLATES}
    for case in _cases(session, remit):
        keys = (
            {case.unit_id} if by == "unit" else {d["actor_id"] for d in case.steps_done or []}
        ) - {None}
        for key in keys:
            score = table.setdefault(int(key), Score(int(key)))  # type: ignore[arg-type]
            score.cases += 1
            if case.ended_at is not None:
                score.ended += 1
                score.on_time += bool(case.on_time)
            score.deviating += case.case_id in deviating
            if case.rating is not None:
                score.ratings.append(case.rating)
    for warning in _warnings(session, remit):
        key = warning.unit_id if by == "unit" else warning.officer_id
        if key is not None and key in table:
            table[key].warnings += 1
            table[key].red_warnings += warning.level == "red"
    if by == "unit":
        names = identity.unit_names(session, table)
    else:
        names = {k: _account_name(session, k) for k in table}
    for key, score in table.items():
        score.name = names.get(key, str(key))
    return sorted(table.values(), key=lambda s: (-(s.score or 0), s.name))


def _account_name(session: Session, account_id: int) -> str:
    try:
        return identity.get_account(session, account_id).display_name
    except NotFound:  # an actor id no account has (another system's, or the system's own)
        return f"#{account_id}"


def trend(session: Session, remit: Remit, days: int = 30) -> dict[str, list[object]]:
    """Per Beijing day of the last `days`: warnings raised (yellow, red), cases ended and the
    share of them on time."""
    today = utcnow().astimezone(CHINA_TIME).date()
    dates = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    yellow: dict[object, int] = defaultdict(int)
    red: dict[object, int] = defaultdict(int)
    ended: dict[object, int] = defaultdict(int)
    on_time: dict[object, int] = defaultdict(int)
    for warning in _warnings(session, remit):
        day = (warning.event_at or warning.raised_at).astimezone(CHINA_TIME).date()
        (red if warning.level == "red" else yellow)[day] += 1
    for case in _cases(session, remit):
        if case.ended_at is not None:
            day = case.ended_at.astimezone(CHINA_TIME).date()
            ended[day] += 1
            on_time[day] += bool(case.on_time)
    return {
        "days": [d.isoformat() for d in dates],
        "yellow": [yellow[d] for d in dates],
        "red": [red[d] for d in dates],
        "ended": [ended[d] for d in dates],
        "on_time_share": [round(on_time[d] / ended[d], 3) if ended[d] else None for d in dates],
    }
