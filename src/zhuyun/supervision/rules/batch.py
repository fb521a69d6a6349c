"""Batch evaluation over history on DuckDB: the same rules as the online evaluator, as
set-based SQL over a table of ledger-shaped events, for a whole history at once (a new rule
applied to the past, a supervisor's audit, another system's log).

The events table has one row per event: `seq, occurred_at (UTC), case_id, activity,
actor_id, unit_id, power_code, amount, article, point_lookup, purpose`. The power list
(steps, benchmarks), the parameters of the rules in force per power and a working-day table
are loaded beside it. Findings use the online evaluator's keys, so a warning found both ways
is raised once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

import duckdb

from zhuyun.core.calendar import WorkingCalendar

RULE_TEMPLATES = (
    "step_order",
    "time_limit",
    "discretion_range",
    "amount_outlier",
    "segregation",
    "temporal_profile",
    "out_of_hours",
    "data_without_case",
)


@dataclass(frozen=True)
class PowerSpec:
    """A power as the batch needs it, with the parameters of the rules in force for it
    (None: the rule is off for this power)."""

    code: str
    unit_id: int | None
    steps: list[dict[str, Any]]
    discretion: list[dict[str, Any]]
    params: dict[str, dict[str, Any] | None]


def _load_powers(con: duckdb.DuckDBPyConnection, powers: Iterable[PowerSpec]) -> None:
    steps, benches, params, pairs = [], [], [], []
    for power in powers:
        for index, step in enumerate(power.steps):
            steps.append(
                (
                    power.code,
                    index,
                    step["code"],
                    step["activity"],
                    step.get("days"),
                    bool(step.get("mandatory", True)),
                    len(power.steps),
                )
            )
        for bench in power.discretion:
            benches.append(
                (
                    power.code,
                    bench["article"],
                    float(bench["min_amount"]),
                    float(bench["max_amount"]),
                )
            )
        for template in RULE_TEMPLATES:
            p = power.params.get(template)
            if p is None:
                continue
            params.append(
                (
                    power.code,
                    template,
                    float(p.get("k", 0) or 0),
                    int(p.get("min_history", 0) or 0),
                    _minutes(p.get("start")),
                    _minutes(p.get("end")),
                )
            )
            for first, second in p.get("pairs", []) if template == "segregation" else []:
                pairs.append((power.code, first, second))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE steps (power_code VARCHAR, idx INTEGER, code VARCHAR,"
        " activity VARCHAR, days INTEGER, mandatory BOOLEAN, n_steps INTEGER)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE benchmarks (power_code VARCHAR, article VARCHAR,"
        " lo DOUBLE, hi DOUBLE)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE params (power_code VARCHAR, template VARCHAR,"
        " k DOUBLE, min_history INTEGER, start_minute INTEGER, end_minute INTEGER)"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE pairs (power_code VARCHAR, a VARCHAR, b VARCHAR)")
    for table, rows in (
        ("steps", steps),
        ("benchmarks", benches),
        ("params", params),
        ("pairs", pairs),
    ):
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def _minutes(clock: str | None) -> int | None:
    """ "08:30" → 510."""
    if clock is None:
        return None
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _load_calendar(
    con: duckdb.DuckDBPyConnection, calendar: WorkingCalendar, first: date, last: date
) -> None:
    """Every day from `first` to `last` (+ a year for limits past the end) with whether it
    is a working day and how many working days came up to it."""
    rows, count, day = [], 0, first - timedelta(days=1)
    while day <= last + timedelta(days=400):
        working = calendar.is_working_day(day)
        count += working
        rows.append((day, working, count))
        day += timedelta(days=1)
    con.execute("CREATE OR REPLACE TEMP TABLE workdays (day DATE, working BOOLEAN, idx INTEGER)")
    con.executemany("INSERT INTO workdays VALUES (?, ?, ?)", rows)


ORDERED_SQL = r"""
CREATE OR REPLACE TEMP TABLE ordered AS
WITH ev AS (
    SELECT e.* EXCLUDE (activity, point_lookup, purpose), s.idx, s.code, s.days, s.n_steps,
           hash(e.case_id) AS case_key,
           CAST(e.occurred_at + INTERVAL 8 HOUR AS DATE) AS local_day,
           hour(e.occurred_at + INTERVAL 8 HOUR) * 60 + minute(e.occurred_at + INTERVAL 8 HOUR)
               AS local_minute
    FROM events e JOIN steps s USING (power_code, activity)
)
SELECT * EXCLUDE (done_before),
    coalesce((done_before >> idx) & 1, 0) = 1 AS repeated
FROM (
    SELECT *,
        -- one window (partition by a hash of the case, in ledger order) computes it all
        coalesce(max(idx) OVER w_before, -1) AS reached,
        bit_or(1::UBIGINT << idx) OVER w_before AS done_before,
        lag(local_day) OVER w AS prev_day,
        first_value(occurred_at) OVER w AS case_start
    FROM ev
    WINDOW w AS (PARTITION BY case_key ORDER BY seq),
           w_before AS (PARTITION BY case_key ORDER BY seq
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
)
"""

FINDINGS_SQL = r"""
WITH mandatory_before AS (  -- per power and index: how many mandatory steps come before it
    SELECT power_code, idx,
           coalesce(sum(mandatory::INTEGER) OVER (PARTITION BY power_code ORDER BY idx
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS m
    FROM steps
),
step_order AS (
    SELECT 'step_order' AS template,
           CASE WHEN o.repeated THEN 'yellow' ELSE 'red' END AS level,
           CASE WHEN o.repeated THEN 'repeat:' WHEN o.idx < o.reached THEN 'order:'
                ELSE 'skip:' END || o.code AS key,
           o.case_id, o.power_code, o.unit_id, o.actor_id, o.seq, o.occurred_at
    FROM ordered o
    JOIN params p ON p.power_code = o.power_code AND p.template = 'step_order'
    JOIN mandatory_before here ON here.power_code = o.power_code AND here.idx = o.idx
    LEFT JOIN mandatory_before after_reached
        ON after_reached.power_code = o.power_code AND after_reached.idx = o.reached + 1
    WHERE o.repeated OR o.idx < o.reached
       OR (o.idx > o.reached + 1 AND here.m - coalesce(after_reached.m, 0) > 0)
),
late AS (
    SELECT 'time_limit' AS template, 'red' AS level, 'late:' || o.code AS key,
           o.case_id, o.power_code, o.unit_id, o.actor_id, o.seq, o.occurred_at
    FROM ordered o
    JOIN params p ON p.power_code = o.power_code AND p.template = 'time_limit'
    JOIN workdays w0 ON w0.day = o.prev_day
    JOIN workdays due ON due.idx = w0.idx + o.days AND due.working
    WHERE NOT o.repeated AND o.idx = o.reached + 1 AND o.days IS NOT NULL AND o.local_day > due.day
),
discretion AS (
    SELECT 'discretion_range' AS template, 'red' AS level, 'amount:' || o.article AS key,
           o.case_id, o.power_code, o.unit_id, o.actor_id, o.seq, o.occurred_at
    FROM ordered o
    JOIN params p ON p.power_code = o.power_code AND p.template = 'discretion_range'
    JOIN benchmarks b ON b.power_code = o.power_code AND b.article = o.article
    WHERE o.amount IS NOT NULL AND (o.amount < b.lo OR o.amount > b.hi)
),
fences AS (
    SELECT o.power_code, o.article, count(*) AS n,
           quantile_cont(o.amount, 0.25) AS q1, quantile_cont(o.amount, 0.75) AS q3,
           any_value(p.k) AS k, any_value(p.min_history) AS min_history
    FROM ordered o JOIN params p ON p.power_code = o.power_code AND p.template = 'amount_outlier'
    WHERE o.amount IS NOT NULL AND o.article IS NOT NULL
    GROUP BY ALL
),
outliers AS (
    SELECT 'amount_outlier' AS template, 'yellow' AS level, 'outlier:' || o.article AS key,
           o.case_id, o.power_code, o.unit_id, o.actor_id, o.seq, o.occurred_at
    FROM ordered o JOIN fences f USING (power_code, article)
    WHERE o.amount IS NOT NULL AND f.n > f.min_history
      AND (o.amount < f.q1 - f.k * (f.q3 - f.q1) OR o.amount > f.q3 + f.k * (f.q3 - f.q1))
),
officer_medians AS (
    SELECT power_code, article, actor_id, any_value(unit_id) AS unit_id, median(amount) AS m,
           count(*) AS n, max(seq) AS seq, max(occurred_at) AS occurred_at
    FROM ordered WHERE amount IS NOT NULL AND actor_id IS NOT NULL GROUP BY ALL
),
officer_fences AS (
    SELECT power_code, article, quantile_cont(m, 0.25) AS q1, quantile_cont(m, 0.75) AS q3,
           count(*) AS officers
    FROM officer_medians GROUP BY ALL
),
officer_outliers AS (
    SELECT 'amount_outlier' AS template, 'yellow' AS level,
           'officer:' || om.actor_id || ':' || om.article AS key,
           NULL AS case_id, om.power_code, om.unit_id, om.actor_id, om.seq, om.occurred_at
    FROM officer_medians om JOIN officer_fences f USING (power_code, article)
    JOIN params p ON p.power_code = om.power_code AND p.template = 'amount_outlier'
    WHERE f.officers >= 4 AND (om.m < f.q1 - p.k * (f.q3 - f.q1)
                               OR om.m > f.q3 + p.k * (f.q3 - f.q1))
),
segregation AS (
    SELECT DISTINCT 'segregation' AS template, 'red' AS level, pr.a || '+' || pr.b AS key,
           y.case_id, y.power_code, y.unit_id, y.actor_id,
           max(y.seq) OVER (PARTITION BY y.case_id, pr.a, pr.b) AS seq,
           max(y.occurred_at) OVER (PARTITION BY y.case_id, pr.a, pr.b) AS occurred_at
    FROM ordered x
    JOIN pairs pr ON pr.power_code = x.power_code AND pr.a = x.code
    JOIN ordered y ON y.case_key = x.case_key AND y.case_id = x.case_id AND y.code = pr.b
        AND y.actor_id = x.actor_id
    JOIN params p ON p.power_code = x.power_code AND p.template = 'segregation'
    WHERE x.actor_id IS NOT NULL AND x.actor_id <> 0
),
durations AS (
    SELECT case_id, power_code, unit_id, actor_id, seq, occurred_at,
           ln(1 + greatest(epoch(occurred_at) - epoch(case_start), 0)) AS d
    FROM ordered WHERE idx = n_steps - 1 AND NOT repeated
),
profile AS (
    SELECT power_code, avg(d) AS mean, stddev_pop(d) AS sd, count(*) AS n FROM durations
    GROUP BY power_code
),
temporal AS (
    SELECT 'temporal_profile' AS template, 'yellow' AS level,
           CASE WHEN d.d < pf.mean THEN 'fast' ELSE 'slow' END AS key,
           d.case_id, d.power_code, d.unit_id, d.actor_id, d.seq, d.occurred_at
    FROM durations d JOIN profile pf USING (power_code)
    JOIN params p ON p.power_code = d.power_code AND p.template = 'temporal_profile'
    WHERE pf.n > p.min_history AND pf.sd > 0 AND abs(d.d - pf.mean) > p.k * pf.sd
),
hours AS (
    SELECT 'out_of_hours' AS template, 'yellow' AS level, 'seq:' || o.seq AS key,
           o.case_id, o.power_code, o.unit_id, o.actor_id, o.seq, o.occurred_at
    FROM ordered o
    JOIN params p ON p.power_code = o.power_code AND p.template = 'out_of_hours'
    JOIN workdays w ON w.day = o.local_day
    WHERE o.actor_id IS NOT NULL AND o.actor_id <> 0
      AND (NOT w.working OR o.local_minute < p.start_minute OR o.local_minute >= p.end_minute)
),
cases AS (
    SELECT case_id, any_value(unit_id) AS unit_id, min(occurred_at) AS opened,
           max(CASE WHEN idx = n_steps - 1 THEN occurred_at END) AS ended
    FROM ordered GROUP BY case_id
),
reads AS (
    SELECT r.*, coalesce(nullif(regexp_extract(r.purpose, 'case:([^\s,，]+)', 1), ''),
                         trim(r.purpose)) AS ref
    FROM events r
    WHERE r.activity IN ('exchange.query', 'exchange.exported') AND r.point_lookup
      AND r.actor_id IS NOT NULL AND r.actor_id <> 0
),
no_case AS (
    SELECT 'data_without_case' AS template, 'red' AS level, 'seq:' || r.seq AS key,
           r.case_id, NULL AS power_code, r.unit_id, r.actor_id, r.seq, r.occurred_at
    FROM reads r
    LEFT JOIN cases c ON c.case_id = r.ref
    WHERE $data_rule AND (c.case_id IS NULL OR c.unit_id <> r.unit_id OR c.opened > r.occurred_at
                          OR c.ended < r.occurred_at)
)
SELECT * FROM step_order UNION ALL SELECT * FROM late UNION ALL SELECT * FROM discretion
UNION ALL SELECT * FROM outliers UNION ALL SELECT * FROM officer_outliers
UNION ALL SELECT * FROM segregation UNION ALL SELECT * FROM temporal
UNION ALL SELECT * FROM hours UNION ALL SELECT * FROM no_case
"""


def evaluate(
    con: duckdb.DuckDBPyConnection,
    powers: Iterable[PowerSpec],
    calendar: WorkingCalendar,
    *,
    data_rule_on: bool = True,
) -> duckdb.DuckDBPyRelation:
    """Findings over the `events` table already in `con`: (template, level, key, case_id,
    power_code, unit_id, actor_id, seq, occurred_at), one row per finding."""
    _load_powers(con, powers)
    span = con.execute(
        "SELECT CAST(min(occurred_at) + INTERVAL 8 HOUR AS DATE),"
        " CAST(max(occurred_at) + INTERVAL 8 HOUR AS DATE) FROM events"
    ).fetchone()
    first, last = span or (None, None)
    today = date.today()
    _load_calendar(con, calendar, first or today, last or today)
    con.execute("SET preserve_insertion_order = false")  # findings come in no order
    con.execute(ORDERED_SQL)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE findings AS "
        + FINDINGS_SQL.replace("$data_rule", "TRUE" if data_rule_on else "FALSE")
    )
    return con.table("findings")


# --- over the platform's own ledger --------------------------------------------------------

LEDGER_CHUNK = 50_000
EVENT_SCHEMA = (
    "seq BIGINT, occurred_at TIMESTAMP, case_id VARCHAR, activity VARCHAR, actor_id INTEGER,"
    " unit_id INTEGER, power_code VARCHAR, amount DOUBLE, article VARCHAR,"
    " point_lookup BOOLEAN, purpose VARCHAR"
)


def power_specs(book: Any) -> list[PowerSpec]:
    """The powers of a `RuleBook` with the parameters of the most specific rule in force for
    each template (the same choice the online evaluator makes)."""
    specs = []
    for power in book.powers.values():
        params: dict[str, dict[str, Any] | None] = {}
        for template in RULE_TEMPLATES:
            rule = book.rule(template, power.unit_id, power.code)
            params[template] = book.params(rule) if rule is not None else None
        specs.append(PowerSpec(power.code, power.unit_id, power.steps, power.discretion, params))
    return specs


def load_ledger(con: duckdb.DuckDBPyConnection, session: Any, book: Any) -> int:
    """The ledger as the events table, each entry resolved to its power as online."""
    import pyarrow as pa
    from sqlalchemy import select

    from zhuyun.core.ledger import LedgerEntry

    con.execute(f"CREATE OR REPLACE TEMP TABLE events ({EVENT_SCHEMA})")
    last, total = 0, 0
    while True:
        rows = session.execute(
            select(
                LedgerEntry.seq,
                LedgerEntry.occurred_at,
                LedgerEntry.case_id,
                LedgerEntry.activity,
                LedgerEntry.actor_id,
                LedgerEntry.unit_id,
                LedgerEntry.attrs,
            )
            .where(LedgerEntry.seq > last, ~LedgerEntry.activity.startswith("supervision."))
            .order_by(LedgerEntry.seq)
            .limit(LEDGER_CHUNK)
        ).all()
        if not rows:
            return total
        columns: dict[str, list[Any]] = {
            k: []
            for k in (
                "seq",
                "occurred_at",
                "case_id",
                "activity",
                "actor_id",
                "unit_id",
                "power_code",
                "amount",
                "article",
                "point_lookup",
                "purpose",
            )
        }
        for seq, at, case_id, activity, actor_id, unit_id, attrs in rows:
            attrs = attrs or {}
            power = book.power_of(_Probe(attrs))
            amount = attrs.get("amount")
            columns["seq"].append(seq)
            columns["occurred_at"].append(at.replace(tzinfo=None))
            columns["case_id"].append(case_id)
            columns["activity"].append(activity)
            columns["actor_id"].append(actor_id)
            columns["unit_id"].append(
                attrs.get("consumer_unit_id") or attrs.get("unit_id") or unit_id
            )
            columns["power_code"].append(power.code if power is not None else None)
            columns["amount"].append(_float(amount))
            columns["article"].append(str(attrs["article"])[:100] if "article" in attrs else None)
            columns["point_lookup"].append(bool(attrs.get("point_lookup")))
            columns["purpose"].append(str(attrs.get("purpose") or "")[:200])
        chunk = pa.table(columns)  # noqa: F841 — read by name below
        con.execute("INSERT INTO events SELECT * FROM chunk")
        total += len(rows)
        last = rows[-1][0]


@dataclass
class _Probe:
    attrs: dict[str, Any]


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def run_over_ledger(session: Any, *, raise_warnings: bool = True) -> dict[str, Any]:
    """All rules over the whole ledger on DuckDB; the findings become warnings (each once,
    whichever way it was found first). Returns counts per template."""
    from zhuyun.core.holidays import load_calendar
    from zhuyun.supervision.rules.engine import Finding, RuleBook
    from zhuyun.supervision.warnings.service import raise_findings

    book = RuleBook(session)
    con = duckdb.connect()
    try:
        events = load_ledger(con, session, book)
        data_rule = book.rule("data_without_case", None, None)
        found = evaluate(
            con, power_specs(book), load_calendar(session), data_rule_on=data_rule is not None
        )
        rows = found.fetchall()
    finally:
        con.close()
    counts: dict[str, int] = {}
    findings = []
    for template, level, key, case_id, power_code, unit_id, actor_id, seq, at in rows:
        counts[template] = counts.get(template, 0) + 1
        power = book.powers.get(power_code) if power_code else None
        rule = book.rule(template, power.unit_id if power else unit_id, power_code)
        if rule is None:
            continue
        message = BATCH_MESSAGES[template]
        findings.append(
            Finding(
                rule,
                level,
                key,
                message[0],
                message[1],
                case_id=case_id,
                power_code=power_code,
                unit_id=unit_id,
                officer_id=actor_id,
                seq=seq,
                event_at=at.replace(tzinfo=UTC) if at else None,
                details={"batch": True, "key": key},
            )
        )
    raised = len(raise_findings(session, findings)) if raise_warnings else 0
    return {"events": events, "findings": len(rows), "raised": raised, "by_template": counts}


BATCH_MESSAGES = {
    "step_order": (
        "流程环节缺失、重复或颠倒（历史批量检查）",
        "skipped, repeated or out-of-order step",
    ),
    "time_limit": ("环节超期办结（历史批量检查）", "step done after its limit"),
    "discretion_range": ("金额超出裁量基准（历史批量检查）", "amount outside the discretion range"),
    "amount_outlier": ("金额明显偏离同类案件（历史批量检查）", "amount far from its peers"),
    "segregation": (
        "审查与决定由同一人作出（历史批量检查）",
        "the same person checked and decided",
    ),
    "temporal_profile": ("办理过快或过慢（历史批量检查）", "abnormally fast or slow"),
    "out_of_hours": ("非工作时间办理（历史批量检查）", "acted out of hours"),
    "data_without_case": (
        "无在办案件却查询群众数据（历史批量检查）",
        "read citizens' data with no case",
    ),
}
