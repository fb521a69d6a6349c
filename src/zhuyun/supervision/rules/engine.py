"""Online evaluation: each ledger entry is read once, in order, against the rules in force.

An entry is a step of a power when it names the power (`power_code`) or carries a linked
service item (`item_code`) or work-order category (`category`), and its activity is one of
the power's steps. The case it belongs to is tracked in `supervision_power_cases` (where it
stands, when its current step is due, what it ended with), so each rule needs only the entry
and that small state. Reads of the exchange (`exchange.query`) are checked against the cases.
Time-limit warnings come from `sweep`, which looks at the open cases' due times.
"""

from __future__ import annotations

import math
import secrets
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.calendar import CHINA_TIME, WorkingCalendar
from zhuyun.core.holidays import load_calendar
from zhuyun.core.ledger import LedgerEntry
from zhuyun.supervision.models import Power, PowerCase, PowerLink, Rule
from zhuyun.supervision.rules.templates import TEMPLATES, check_params

LINKED_ATTRS = (("item_code", "service_item"), ("category", "governance_category"))
DATA_READS = ("exchange.query", "exchange.exported")
HISTORY_LIMIT = 2000  # the latest ended cases a peer or profile comparison looks at


@dataclass
class Finding:
    """What a rule found: becomes a warning (once per rule, case and key)."""

    rule: Rule
    level: str  # "yellow" | "red"
    key: str
    message_zh: str
    message_en: str
    case_id: str | None = None
    power_code: str | None = None
    unit_id: int | None = None
    officer_id: int | None = None
    seq: int | None = None
    event_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return f"{self.rule.code}|{self.case_id or '-'}|{self.key}"[:250]


class RuleBook:
    """The rules in force, the powers and their links, loaded once per batch of entries."""

    def __init__(self, session: Session) -> None:
        self.rules = [r for r in session.scalars(select(Rule)) if r.enabled]
        self.powers = {p.code: p for p in session.scalars(select(Power))}
        self.links = {
            (k, c): p
            for k, c, p in session.execute(
                select(PowerLink.kind, PowerLink.code, PowerLink.power_code)
            )
        }
        self.calendar: WorkingCalendar = load_calendar(session)

    def rule(self, template: str, unit_id: int | None, power_code: str | None) -> Rule | None:
        """The most specific enabled rule of `template` for a unit and power: one for the
        power, else one for the unit, else the city-wide one."""
        best: tuple[int, Rule] | None = None
        for rule in self.rules:
            if rule.template != template:
                continue
            if rule.power_code is not None and rule.power_code != power_code:
                continue
            if rule.unit_id is not None and rule.unit_id != unit_id:
                continue
            rank = (rule.power_code is not None) * 2 + (rule.unit_id is not None)
            if best is None or rank > best[0]:
                best = (rank, rule)
        return best[1] if best else None

    def params(self, rule: Rule) -> dict[str, Any]:
        return check_params(rule.template, rule.params)

    def power_of(self, entry: LedgerEntry) -> Power | None:
        attrs = entry.attrs or {}
        code = attrs.get("power_code")
        if not isinstance(code, str):
            code = next(
                (
                    self.links[(kind, str(attrs[name]))]
                    for name, kind in LINKED_ATTRS
                    if name in attrs and (kind, str(attrs[name])) in self.links
                ),
                None,
            )
        return self.powers.get(code) if code else None


def _local(moment: datetime) -> datetime:
    return moment.astimezone(CHINA_TIME)


def due_at(calendar: WorkingCalendar, start: datetime, days: int) -> datetime:
    """The end (Beijing time) of the `days`-th working day after the day of `start`."""
    last = _add_working_days(calendar, _local(start).date(), days)
    end = datetime.combine(last, time(23, 59, 59), CHINA_TIME)
    return end.astimezone(UTC)


_DUE_CACHE: dict[tuple[int, date, int], tuple[WorkingCalendar, date]] = {}


def _add_working_days(calendar: WorkingCalendar, start: date, days: int) -> date:
    """The calendar's answer, remembered per calendar object (a pass reuses one)."""
    key = (id(calendar), start, days)
    known = _DUE_CACHE.get(key)
    if known is None or known[0] is not calendar:  # (an id can be reused by a new calendar)
        if len(_DUE_CACHE) > 100_000:
            _DUE_CACHE.clear()
        known = _DUE_CACHE[key] = (calendar, calendar.add_working_days(start, days))
    return known[1]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class Evaluator:
    """Evaluates entries in order against a `RuleBook` within one session."""

    def __init__(self, session: Session, book: RuleBook) -> None:
        self.session = session
        self.book = book
        # what a pass has read or made, so each entry costs a lookup, not a query
        self.cases: dict[str, PowerCase | None] = {}
        self.amounts: dict[tuple[str, str], list[float]] = {}
        self.durations: dict[str, list[float]] = {}

    def _known_case(self, case_id: str) -> PowerCase | None:
        if case_id not in self.cases:
            with self.session.no_autoflush:
                self.cases[case_id] = self.session.scalar(
                    select(PowerCase).where(PowerCase.case_id == case_id)
                )
        return self.cases[case_id]

    def _history(self, key: tuple[str, str] | str, column: Any, *where: Any) -> list[float]:
        """The latest values of a column over the power's tracked cases, read once a pass
        and kept up to date as the pass ends cases or decides amounts."""
        store: dict[Any, list[float]] = self.amounts if isinstance(key, tuple) else self.durations
        if key not in store:
            self.session.flush()
            values = self.session.scalars(
                select(column)
                .where(column.is_not(None), *where)
                .order_by(PowerCase.id.desc())
                .limit(HISTORY_LIMIT)
            ).all()
            store[key] = [float(v) for v in reversed(values) if v is not None]
        return store[key]

    # --- entries ---------------------------------------------------------------------------

    def evaluate(self, entry: LedgerEntry) -> list[Finding]:
        if entry.activity.startswith("supervision."):
            return []
        if entry.activity in DATA_READS:
            return self._data_read(entry)
        findings = self._rating(entry)
        power = self.book.power_of(entry)
        if power is None:
            return findings
        codes = [s["activity"] for s in power.steps]
        if entry.activity not in codes:
            return findings
        index = codes.index(entry.activity)
        case = self._case(entry, power)
        findings += self._step(entry, power, case, index)
        return findings

    def _case(self, entry: LedgerEntry, power: Power) -> PowerCase:
        case = self._known_case(entry.case_id)
        if case is None:
            case = PowerCase(
                case_id=entry.case_id,
                public_token=secrets.token_urlsafe(12)[:16],
                power_code=power.code,
                unit_id=(entry.attrs or {}).get("unit_id") or entry.unit_id,
                started_at=entry.occurred_at,
                last_at=entry.occurred_at,
                steps_done=[],
            )
            self.session.add(case)
            self.cases[entry.case_id] = case
        return case

    def _finding(
        self,
        template: str,
        case: PowerCase | None,
        entry: LedgerEntry,
        level: str,
        key: str,
        zh: str,
        en: str,
        **details: Any,
    ) -> Finding | None:
        unit_id = case.unit_id if case else entry.unit_id
        rule = self.book.rule(template, unit_id, case.power_code if case else None)
        if rule is None:
            return None
        return Finding(
            rule,
            level,
            key,
            zh,
            en,
            case_id=case.case_id if case else entry.case_id,
            power_code=case.power_code if case else None,
            unit_id=unit_id,
            officer_id=entry.actor_id,
            seq=entry.seq,
            event_at=entry.occurred_at,
            details=details,
        )

    def _step(self, entry: LedgerEntry, power: Power, case: PowerCase, index: int) -> list[Finding]:
        step = power.steps[index]
        found: list[Finding | None] = []
        done = list(case.steps_done or [])
        done_codes = [d["step"] for d in done]
        reached = max((d["index"] for d in done), default=-1)
        at = entry.occurred_at
        # 1. the order of steps against the normative process
        if step["code"] in done_codes:
            found.append(
                self._finding(
                    "step_order",
                    case,
                    entry,
                    "yellow",
                    f"repeat:{step['code']}",
                    f"环节“{step['name']}”重复办理",
                    f"step {step['code']!r} was taken again",
                )
            )
        elif index < reached:
            found.append(
                self._finding(
                    "step_order",
                    case,
                    entry,
                    "red",
                    f"order:{step['code']}",
                    f"环节“{step['name']}”在后续环节之后办理（顺序颠倒）",
                    f"step {step['code']!r} came after a later step",
                )
            )
        else:
            skipped = [
                s
                for s in power.steps[reached + 1 : index]
                if s.get("mandatory", True) and s["code"] not in done_codes
            ]
            if skipped:
                names = "、".join(s["name"] for s in skipped)
                found.append(
                    self._finding(
                        "step_order",
                        case,
                        entry,
                        "red",
                        f"skip:{step['code']}",
                        f"跳过必经环节：{names}",
                        f"mandatory steps skipped: {', '.join(s['code'] for s in skipped)}",
                        skipped=[s["code"] for s in skipped],
                    )
                )
        # 2. the step's own time limit
        if (
            case.step_due_at is not None
            and case.step_code == step["code"]
            and at > case.step_due_at
        ):
            case.on_time = False
            found.append(
                self._finding(
                    "time_limit",
                    case,
                    entry,
                    "red",
                    f"late:{step['code']}",
                    f"环节“{step['name']}”超期办结",
                    f"step {step['code']!r} was done after its limit",
                    due_at=case.step_due_at.isoformat(),
                )
            )
        # 3. segregation of duties
        found += self._segregation(entry, power, case, step, done)
        # 4. hours
        found.append(self._hours(entry, case))
        # 5. amounts
        found += self._amount(entry, power, case)
        done.append(
            {
                "step": step["code"],
                "index": index,
                "at": at.isoformat(),
                "actor_id": entry.actor_id,
                "seq": entry.seq,
            }
        )
        case.steps_done = done
        case.last_at = at
        nxt = next((s for s in power.steps[max(reached, index) + 1 :]), None)
        case.step_code = nxt["code"] if nxt else None
        case.step_due_at = (
            due_at(self.book.calendar, at, nxt["days"])
            if nxt and nxt.get("days") is not None
            else None
        )
        case.due_level = None
        if index == len(power.steps) - 1 and case.ended_at is None:
            case.ended_at = at
            case.duration_s = (at - case.started_at).total_seconds()
            if case.on_time is None:
                case.on_time = power.time_limit_days is None or at <= due_at(
                    self.book.calendar, case.started_at, power.time_limit_days
                )
            found.append(self._profile(entry, case))
        return [f for f in found if f is not None]

    def _segregation(
        self,
        entry: LedgerEntry,
        power: Power,
        case: PowerCase,
        step: dict[str, Any],
        done: list[dict[str, Any]],
    ) -> list[Finding | None]:
        rule = self.book.rule("segregation", case.unit_id, case.power_code)
        if rule is None or not entry.actor_id:
            return []
        found: list[Finding | None] = []
        names = {s["code"]: s["name"] for s in power.steps}
        for first, second in self.book.params(rule)["pairs"]:
            other = first if step["code"] == second else second if step["code"] == first else None
            if other is None:
                continue
            if any(d["step"] == other and d["actor_id"] == entry.actor_id for d in done):
                found.append(
                    self._finding(
                        "segregation",
                        case,
                        entry,
                        "red",
                        f"{first}+{second}",
                        f"同一人（{entry.actor_name}）既办理“{names.get(first, first)}”"
                        f"又办理“{names.get(second, second)}”",
                        f"the same person took both {first!r} and {second!r}",
                    )
                )
        return found

    def _hours(self, entry: LedgerEntry, case: PowerCase) -> Finding | None:
        rule = self.book.rule("out_of_hours", case.unit_id, case.power_code)
        if rule is None or not entry.actor_id:
            return None
        params = self.book.params(rule)
        local = _local(entry.occurred_at)
        clock = local.strftime("%H:%M")
        working = self.book.calendar.is_working_day(local.date())
        if working and params["start"] <= clock < params["end"]:
            return None
        when_zh = (
            "非工作日" if not working else f"工作时间（{params['start']}–{params['end']}）以外"
        )
        return self._finding(
            "out_of_hours",
            case,
            entry,
            "yellow",
            f"seq:{entry.seq}",
            f"{when_zh}办理：{local:%Y-%m-%d %H:%M}",
            f"acted out of hours at {local:%Y-%m-%d %H:%M}",
            local_time=local.isoformat(),
        )

    def _amount(self, entry: LedgerEntry, power: Power, case: PowerCase) -> list[Finding | None]:
        attrs = entry.attrs or {}
        amount = _number(attrs.get("amount"))
        article = attrs.get("article")
        if amount is None or not isinstance(article, str):
            return []
        case.amount, case.article, case.decider_id = amount, article[:100], entry.actor_id
        found: list[Finding | None] = []
        bench = next((b for b in power.discretion if b["article"] == article), None)
        if bench is not None and not bench["min_amount"] <= amount <= bench["max_amount"]:
            low, high = bench["min_amount"], bench["max_amount"]
            found.append(
                self._finding(
                    "discretion_range",
                    case,
                    entry,
                    "red",
                    f"amount:{article}",
                    f"金额 {amount:g} 元超出“{article}”裁量基准（{low:g}–{high:g} 元）",
                    f"amount {amount:g} outside the benchmark of {article}",
                    amount=amount,
                    min=low,
                    max=high,
                )
            )
        rule = self.book.rule("amount_outlier", case.unit_id, case.power_code)
        if rule is not None:
            params = self.book.params(rule)
            known = self._history(
                (power.code, article[:100]),
                PowerCase.amount,
                PowerCase.power_code == power.code,
                PowerCase.article == article[:100],
                PowerCase.case_id != case.case_id,
            )
            peers = known[-HISTORY_LIMIT:]
            fences = iqr_fences(peers, params["k"])
            known.append(amount)
            if (
                len(peers) >= params["min_history"]
                and fences
                and not (fences[0] <= amount <= fences[1])
            ):
                found.append(
                    self._finding(
                        "amount_outlier",
                        case,
                        entry,
                        "yellow",
                        f"outlier:{article}",
                        f"金额 {amount:g} 元明显偏离同类案件（{fences[0]:g}–{fences[1]:g} 元）",
                        f"amount {amount:g} outside the peers' fences {fences[0]:g}–{fences[1]:g}",
                        amount=amount,
                        low=fences[0],
                        high=fences[1],
                        peers=len(peers),
                    )
                )
        return found

    def _profile(self, entry: LedgerEntry, case: PowerCase) -> Finding | None:
        rule = self.book.rule("temporal_profile", case.unit_id, case.power_code)
        if rule is None or case.duration_s is None:
            return None
        params = self.book.params(rule)
        known = self._history(
            case.power_code,
            PowerCase.duration_s,
            PowerCase.power_code == case.power_code,
            PowerCase.case_id != case.case_id,
        )
        history = known[-HISTORY_LIMIT:]
        known.append(case.duration_s)
        if len(history) < params["min_history"]:
            return None
        logs = [math.log1p(max(d, 0)) for d in history]
        mean = math.fsum(logs) / len(logs)
        spread = math.sqrt(math.fsum((x - mean) ** 2 for x in logs) / len(logs))
        mine = math.log1p(max(case.duration_s, 0))
        if spread == 0 or abs(mine - mean) <= params["k"] * spread:
            return None
        fast = mine < mean
        typical = math.expm1(mean)
        return self._finding(
            "temporal_profile",
            case,
            entry,
            "yellow",
            "fast" if fast else "slow",
            f"办理{'过快' if fast else '过慢'}：用时 {span_zh(case.duration_s)}，"
            f"同类通常 {span_zh(typical)}",
            f"handled abnormally {'fast' if fast else 'slow'}: {case.duration_s / 3600:.1f} h, "
            f"typically {typical / 3600:.1f} h",
            seconds=case.duration_s,
            typical_seconds=round(typical),
        )

    def _rating(self, entry: LedgerEntry) -> list[Finding]:
        rating = (entry.attrs or {}).get("rating")
        if isinstance(rating, int) and not isinstance(rating, bool) and 1 <= rating <= 5:
            case = self._known_case(entry.case_id)
            if case is not None:
                case.rating = rating
        return []

    def _data_read(self, entry: LedgerEntry) -> list[Finding]:
        attrs = entry.attrs or {}
        if entry.actor_id is None or not attrs.get("point_lookup"):
            return []
        rule = self.book.rule("data_without_case", entry.unit_id, None)
        if rule is None:
            return []
        resources = self.book.params(rule)["resources"]
        if resources and entry.subject_id not in resources:
            return []
        purpose = str(attrs.get("purpose") or "")
        unit_id = attrs.get("consumer_unit_id") or entry.unit_id
        for token in _case_refs(purpose):
            case = self._known_case(token[:128])
            if case is not None and case.unit_id == unit_id and case.ended_at is None:
                return []
        finding = self._finding(
            "data_without_case",
            None,
            entry,
            "red",
            f"seq:{entry.seq}",
            f"{entry.actor_name} 查询了群众数据（资源 {entry.subject_id}），但没有需要它的在办案件",
            f"{entry.actor_name} read citizens' data (resource {entry.subject_id}) with no open "
            "case of their unit that needs it",
            purpose=purpose[:200],
        )
        return [finding] if finding else []

    # --- the clock -------------------------------------------------------------------------

    def sweep(self, now: datetime) -> list[Finding]:
        """Yellow when an open case's current step has used its share of the limit, red when
        it is overdue: each at most once per step."""
        found: list[Finding] = []
        cases = self.session.scalars(
            select(PowerCase)
            .where(
                PowerCase.ended_at.is_(None),
                PowerCase.step_due_at.is_not(None),
                (PowerCase.due_level.is_(None)) | (PowerCase.due_level == "yellow"),
            )
            .order_by(PowerCase.step_due_at)
            .limit(5000)
        )
        for case in cases:
            rule = self.book.rule("time_limit", case.unit_id, case.power_code)
            power = self.book.powers.get(case.power_code)
            if rule is None or power is None or case.step_due_at is None:
                continue
            ratio = self.book.params(rule)["yellow_ratio"]
            total = (case.step_due_at - case.last_at).total_seconds()
            used = (now - case.last_at).total_seconds()
            step = next((s for s in power.steps if s["code"] == case.step_code), None)
            name = step["name"] if step else case.step_code
            due_local = _local(case.step_due_at)
            if now > case.step_due_at:
                level, key = "red", f"overdue:{case.step_code}"
                zh = f"环节“{name}”已超期（时限 {due_local:%Y-%m-%d}）"
                en = f"step {case.step_code!r} is overdue (due {due_local:%Y-%m-%d})"
            elif case.due_level is None and total > 0 and used >= ratio * total:
                level, key = "yellow", f"near:{case.step_code}"
                zh = f"环节“{name}”已用时限 {used / total:.0%}（{due_local:%Y-%m-%d} 到期）"
                en = f"step {case.step_code!r} has used {used / total:.0%} of its time limit"
            else:
                continue
            case.due_level = level
            found.append(
                Finding(
                    rule,
                    level,
                    key,
                    zh,
                    en,
                    case_id=case.case_id,
                    power_code=case.power_code,
                    unit_id=case.unit_id,
                    event_at=now,
                    details={"due_at": case.step_due_at.isoformat()},
                )
            )
        return found


def span_zh(seconds: float) -> str:
    """A duration as people say it: 3 天 4 小时, 5 小时 10 分, 40 秒."""
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days} 天 {hours} 小时" if hours else f"{days} 天"
    if hours:
        return f"{hours} 小时 {rest // 60} 分"
    return f"{rest // 60} 分 {rest % 60} 秒" if rest >= 60 else f"{rest} 秒"


def _case_refs(purpose: str) -> Iterable[str]:
    """Case ids a purpose names: `case:<id>` tokens, or the whole purpose."""
    words = purpose.replace("，", " ").replace(",", " ").split()
    refs = [w.removeprefix("case:") for w in words if w.startswith("case:")]
    return refs or [purpose.strip()]


def iqr_fences(values: list[float], k: float) -> tuple[float, float] | None:
    """Tukey's fences Q1 − k·IQR and Q3 + k·IQR (quartiles by linear interpolation)."""
    if len(values) < 4:
        return None
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    spread = q3 - q1
    return q1 - k * spread, q3 + k * spread


def templates_known() -> list[str]:
    return list(TEMPLATES)
