"""The demo city's power list (权力清单) and its supervision: powers of the market regulator
(penalties, a licence, inspections of 12345 food-safety complaints) and of the
comprehensive law-enforcement bureau, a half-year of penalty cases from the regulator's former
case system imported as a CSV log and run through the rules, a few live cases reported step
by step, and one pass of the rules over the ledger. Deterministic by seed."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from zhuyun.core.calendar import default_calendar
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Role
from zhuyun.identity.service import StaffDraft
from zhuyun.supervision import service as logs
from zhuyun.supervision.eventlog import CsvColumns
from zhuyun.supervision.operations import StepReport, report_step
from zhuyun.supervision.powers import Benchmark, PowerDraft, RiskPoint, Step, save_powers
from zhuyun.supervision.remit import ALL_UNITS
from zhuyun.supervision.rules.replay import supervise_log
from zhuyun.supervision.rules.service import ensure_default_rules
from zhuyun.supervision.rules.watcher import catch_up

CALENDAR = default_calendar()
PENALTY = "SCJG-CF-0001"
LICENCE = "SCJG-XK-0001"
INSPECTION = "SCJG-JC-0001"
OFFICERS = (
    ("scjg.officer1", "市场监管执法人员（王）"),
    ("scjg.officer2", "市场监管执法人员（李）"),
    ("scjg.reviewer", "市场监管法制审核员"),
    ("scjg.chief", "市场监管局分管负责人"),
)
ARTICLES = {
    "食品安全法第一百二十二条第一款（货值不足一万元）": (50_000, 100_000),
    "食品安全法第一百二十六条第一款": (5_000, 50_000),
    "广告法第五十八条第一款（广告费用无法计算）": (100_000, 1_000_000),
}


def _penalty_steps() -> list[Step]:
    return [
        Step("register", "立案", "power.register", "执法人员", 7),
        Step("investigate", "调查取证", "power.investigate", "执法人员", 30),
        Step("review", "法制审核", "power.review", "法制审核员", 10),
        Step("notify", "告知陈述申辩", "power.notify", "执法人员", 5),
        Step("decide", "作出处罚决定", "power.decide", "负责人", 5),
        Step("deliver", "送达", "power.deliver", "执法人员", 7),
        Step("close", "结案", "power.close", "执法人员", 15),
    ]


def power_list(scjg: str, cgj: str) -> list[PowerDraft]:
    """The demo's powers (facts from the laws named; the process is a typical one)."""
    return [
        PowerDraft(
            PENALTY,
            scjg,
            "对食品生产经营违法行为的行政处罚",
            "处罚",
            "《中华人民共和国食品安全法》第一百二十二条、第一百二十六条；"
            "《中华人民共和国行政处罚法》第五十七条至第六十一条",
            "市场监管局分管负责人",
            90,
            _penalty_steps(),
            [Benchmark(a, "罚款", low, high) for a, (low, high) in ARTICLES.items()],
            [
                RiskPoint(
                    "权力寻租点", "decide", "罚款金额在裁量幅度内随意取值", "裁量基准 + 法制审核"
                ),
                RiskPoint("权力寻租点", "investigate", "调查人员与当事人存在利害关系", "回避制度"),
                RiskPoint("群众关注点", "close", "处罚结果是否公开", "双公示"),
            ],
        ),
        PowerDraft(
            LICENCE,
            scjg,
            "食品经营许可",
            "许可",
            "《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》",
            "市场监管局分管负责人",
            10,
            [
                Step("accept", "受理", "power.accept", "窗口人员", 1),
                Step("examine", "审查", "power.examine", "审查人员", 5),
                Step("inspect", "现场核查", "power.inspect", "审查人员", 5, mandatory=False),
                Step("approve", "决定", "power.approve", "负责人", 2),
                Step("issue", "发证", "power.issue", "窗口人员", 2),
            ],
            [],
            [
                RiskPoint("权力寻租点", "examine", "选择性受理、拖延审查", "限时办结 + 电子监察"),
                RiskPoint("群众关注点", "issue", "办理时限", "一网通办进度公开"),
            ],
            [("service_item", "SCJG-XK-SPJY")],
        ),
        PowerDraft(
            INSPECTION,
            scjg,
            "对食品经营者的监督检查（12345 投诉处置）",
            "检查",
            "《中华人民共和国食品安全法》第一百一十条",
            "市场监管局分管负责人",
            15,
            [
                Step("registered", "登记", "workorder.registered", "话务员", 1),
                Step("dispatched", "派遣", "workorder.dispatched", "指挥中心", 1),
                Step("accepted", "签收", "workorder.accepted", "承办单位", 1),
                Step("reported", "处置反馈", "workorder.reported", "承办单位", 5),
                Step("verified", "核查", "workorder.verified", "网格员", 2),
                Step("closed", "结案", "workorder.closed", "指挥中心", 1),
            ],
            [],
            [RiskPoint("群众关注点", "reported", "投诉处置不及时、不到位", "12345 回访评价")],
            [("governance_category", "food_safety")],
        ),
        PowerDraft(
            "CGJ-CF-0001",
            cgj,
            "对擅自占用城市道路经营的行政处罚",
            "处罚",
            "《城市道路管理条例》第二十七条、第四十二条",
            "综合行政执法局分管负责人",
            60,
            _penalty_steps(),
            [Benchmark("城市道路管理条例第四十二条", "罚款", 0, 20_000)],
            [RiskPoint("权力寻租点", "decide", "以罚代管", "裁量基准")],
        ),
    ]


def _history_csv(rng: random.Random, cases: int, now: datetime) -> bytes:
    """The regulator's former case system: penalty cases of the last half-year, most by the
    book and some not (a skipped review, one person reviewing and deciding, a fine outside
    its range, a slow investigation, work on a Sunday)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["case", "activity", "time", "resource", "amount", "article"])
    officers = ["scjg.officer1", "scjg.officer2"]
    for n in range(cases):
        at = now - timedelta(days=rng.randrange(20, 180), hours=rng.randrange(0, 6))
        at = at.replace(hour=rng.randrange(1, 8), minute=rng.randrange(0, 60))  # 09–16 Beijing
        officer = rng.choice(officers)
        reviewer = "scjg.reviewer"
        article = rng.choice(list(ARTICLES))
        low, high = ARTICLES[article]
        amount = round(rng.uniform(low, low + (high - low) * 0.6), -2)
        quirk = rng.random()
        steps = [s.code for s in _penalty_steps()]
        if quirk < 0.04:
            steps.remove("review")
        if quirk > 0.97:
            reviewer = "scjg.chief"
        if 0.04 <= quirk < 0.07:
            amount = round(high * 1.5, -2)
        for step in steps:
            days = {"investigate": rng.randrange(5, 25), "close": rng.randrange(3, 10)}.get(
                step, rng.randrange(1, 4)
            )
            if step == "investigate" and 0.07 <= quirk < 0.12:
                days = rng.randrange(45, 70)
            at += timedelta(days=days)
            sunday_work = step == "deliver" and 0.12 <= quirk < 0.14
            while not sunday_work and not CALENDAR.is_working_day(at.date()):
                at += timedelta(days=1)
            if sunday_work:
                at += timedelta(days=(6 - at.weekday()) % 7)
            actor = {"review": reviewer, "decide": "scjg.chief"}.get(step, officer)
            row = [f"CF{n + 1:04d}", step, at.isoformat(), actor, "", ""]
            if step == "decide":
                row[4:] = [f"{amount:.0f}", article]
            writer.writerow(row)
    return out.getvalue().encode()


def build_powers(
    database: Database, scale_name: str, seed: int, password: Callable[[random.Random], str]
) -> list[tuple[str, str, str, str, str]]:
    """Build the power list and its supervision; returns the new accounts as (role,
    username, password, unit name, display name)."""
    rng = random.Random(seed * 104729)
    accounts: list[tuple[str, str, str, str, str]] = []
    with database.session() as session:
        scjg = identity.find_unit_by_code(session, "scjg")
        cgj = identity.find_unit_by_code(session, "cgj")
        city = identity.find_unit_by_code(session, "520100")
        assert scjg is not None and cgj is not None and city is not None
        for username, name in OFFICERS:
            secret = password(rng)
            identity.create_staff(
                session,
                SYSTEM,
                StaffDraft(
                    username=username,
                    display_name=name,
                    unit_id=scjg.id,
                    password=secret,
                    roles=((Role.CASE_HANDLER, scjg.id),),
                ),
            )
            accounts.append((Role.CASE_HANDLER.value, username, secret, scjg.name, name))
        supervisor = identity.find_account(session, "supervisor")
        if supervisor is not None:  # the demo's supervisor watches the whole city
            identity.grant_role(session, SYSTEM, supervisor, Role.SUPERVISOR, city.id)
        save_powers(session, SYSTEM, power_list(scjg.code, cgj.code), ALL_UNITS)
        ensure_default_rules(session, SYSTEM)
    with database.session() as session:
        cases = {"test": 60, "small": 300, "city": 1500}.get(scale_name, 60)
        data = _history_csv(rng, cases, datetime.now(UTC))
        outcome = logs.import_log(
            session,
            SYSTEM,
            io.BytesIO(data),
            filename="scjg-penalties.csv",
            name="市场监管局原办案系统·行政处罚（近半年）",
            columns=CsvColumns("case", "activity", "time", "resource"),
        )
        supervise_log(session, SYSTEM, outcome.log.id, PENALTY)
    with database.session() as session:
        _live_cases(session, rng)
    catch_up(database)
    return accounts


def _live_cases(session: Session, rng: random.Random) -> None:
    """A few licence applications going through the platform now, step by step."""
    officer = identity.find_account(session, "scjg.officer1")
    chief = identity.find_account(session, "scjg.chief")
    assert officer is not None and chief is not None
    clerk, head = identity.principal_for(officer), identity.principal_for(chief)
    for n in range(1, 6):
        ref = f"XK{n:04d}"
        steps = ["accept", "examine", "approve", "issue"][: rng.randrange(1, 5)]
        if n == 5:
            steps = ["accept", "approve"]  # the examination was skipped
        for step in steps:
            who = head if step == "approve" else clerk
            report_step(session, who, StepReport(LICENCE, ref, step), None)
