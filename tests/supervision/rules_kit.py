"""A small kit for rule tests: a power of its own per test, entries at chosen times run
through the evaluator in a session that is rolled back at the end."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.supervision.powers import Benchmark, PowerDraft, Step, save_powers
from zhuyun.supervision.remit import ALL_UNITS
from zhuyun.supervision.rules.engine import Evaluator, Finding, RuleBook
from zhuyun.supervision.rules.replay import ReplayEntry
from zhuyun.supervision.rules.service import add_rule, ensure_default_rules

BEIJING = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)
ROLES = {"review": 902, "decide": 903}


def at(text: str) -> datetime:
    """A Beijing wall-clock time, e.g. "2025-03-12 10:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def steps() -> list[Step]:
    return [
        Step("register", "立案", "test.register", "执法人员", 2),
        Step("review", "审核", "test.review", "审核员", 2),
        Step("inspect", "检查", "test.inspect", "执法人员", 2, mandatory=False),
        Step("decide", "决定", "test.decide", "负责人", 2),
        Step("close", "结案", "test.close", "执法人员", 2),
    ]


class Kit:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.power = f"T-RULES-{next(_numbers):04d}"
        ensure_default_rules(session, SYSTEM)
        draft = PowerDraft(
            self.power,
            "scjg",
            "测试用处罚权",
            "处罚",
            "测试依据",
            "测试负责人",
            20,
            steps(),
            [Benchmark("第十条", "罚款", 1000, 5000)],
        )
        self.unit_id = save_powers(session, SYSTEM, [draft], ALL_UNITS)[0].unit_id

    def rule(self, template: str, **params: Any) -> None:
        """A rule for this power only, overriding the city-wide one."""
        add_rule(
            self.session,
            SYSTEM,
            ALL_UNITS,
            code=f"{template}.{self.power.lower()}",
            template=template,
            name="",
            unit_id=None,
            power_code=self.power,
            params=params,
            enabled=True,
        )

    def entry(
        self, case: str, step: str, when: str, actor: int | None = 0, **attrs: Any
    ) -> ReplayEntry:
        """An entry by `actor` (default: the officer whose step it is — 901 registers and
        closes, 902 reviews, 903 decides — so that duties stay apart)."""
        if actor == 0:
            actor = ROLES.get(step, 901)
        return ReplayEntry(
            occurred_at=at(when),
            case_id=f"{self.power}:{case}",
            activity=f"test.{step}",
            actor_id=actor,
            actor_name=f"officer{actor}",
            unit_id=self.unit_id,
            attrs={"power_code": self.power, **attrs},
        )

    def run(self, *entries: ReplayEntry) -> list[Finding]:
        evaluator = Evaluator(self.session, RuleBook(self.session))
        found: list[Finding] = []
        for entry in entries:
            found += evaluator.evaluate(entry)  # type: ignore[arg-type]
        return found

    def sweep(self, when: str) -> list[Finding]:
        found = Evaluator(self.session, RuleBook(self.session)).sweep(at(when))
        return [f for f in found if f.power_code == self.power]

    def case(self, name: str, *steps_and_times: tuple[str, str]) -> list[ReplayEntry]:
        """Entries of a case: (step, Beijing time) pairs."""
        return [self.entry(name, step, when) for step, when in steps_and_times]


def templates(findings: list[Finding]) -> list[str]:
    return sorted(f.rule.template for f in findings)


@contextmanager
def kit(db: Database) -> Iterator[Kit]:
    with db.sessionmaker() as session:
        try:
            yield Kit(session)
        finally:
            session.rollback()
