"""The rule templates: what each checks, its parameters with their bounds and defaults, and
how a false positive tunes it. A rule is a template plus parameters stored as data."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from zhuyun.core.errors import Unprocessable


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "number", "time", "bool", "pairs", "strings"
    default: Any
    low: float = 0
    high: float = 0
    label_zh: str = ""


@dataclass(frozen=True)
class Template:
    code: str
    name_zh: str
    name_en: str
    params: tuple[Param, ...] = ()
    tune: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # on a false positive


def _widen(name: str, step: float, high: float) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def tune(params: dict[str, Any]) -> dict[str, Any]:
        return {**params, name: min(high, round(float(params[name]) + step, 4))}

    return tune


def _later_hours(params: dict[str, Any]) -> dict[str, Any]:
    """Half an hour more on each side of the working hours."""

    def shift(text: str, minutes: int) -> str:
        h, m = map(int, text.split(":"))
        total = max(0, min(24 * 60 - 1, h * 60 + m + minutes))
        return f"{total // 60:02d}:{total % 60:02d}"

    return {**params, "start": shift(params["start"], -30), "end": shift(params["end"], 30)}


TEMPLATES: dict[str, Template] = {
    t.code: t
    for t in (
        Template(
            "time_limit",
            "办理时限预警",
            "time limits",
            (Param("yellow_ratio", "number", 0.8, 0.1, 0.99, "黄牌阈值（已用时限比例）"),),
            _widen("yellow_ratio", 0.05, 0.99),
        ),
        Template("step_order", "流程环节缺失、重复或颠倒", "skipped, repeated, out-of-order steps"),
        Template("discretion_range", "超出裁量基准", "amount outside the discretion range"),
        Template(
            "amount_outlier",
            "同类案件金额异常（IQR）",
            "peer outlier amounts (IQR fences)",
            (
                Param("k", "number", 1.5, 0.5, 10, "围栏系数 k"),
                Param("min_history", "number", 8, 3, 10_000, "最少历史案件数"),
            ),
            _widen("k", 0.5, 10),
        ),
        Template(
            "segregation",
            "审查与决定由同一人作出",
            "segregation of duties",
            (Param("pairs", "pairs", [["review", "decide"]], label_zh="不得由同一人办理的环节对"),),
        ),
        Template(
            "temporal_profile",
            "办理过快或过慢",
            "abnormally fast or slow handling",
            (
                Param("k", "number", 3.0, 1, 10, "标准差倍数 k"),
                Param("min_history", "number", 10, 3, 10_000, "最少历史案件数"),
            ),
            _widen("k", 0.5, 10),
        ),
        Template(
            "out_of_hours",
            "非工作时间办理",
            "actions out of hours",
            (
                Param("start", "time", "08:00", label_zh="上班时间"),
                Param("end", "time", "18:30", label_zh="下班时间"),
            ),
            _later_hours,
        ),
        Template(
            "data_without_case",
            "无案由查询群众数据",
            "reading citizens' data with no case",
            (Param("resources", "strings", [], label_zh="限定的资源编号（空为全部）"),),
        ),
        Template(
            "escalation",
            "预警逾期未说明的逐级上报",
            "escalation of unexplained warnings",
            (
                Param("leader_days", "number", 3, 1, 60, "转分管领导（工作日）"),
                Param("deputy_days", "number", 5, 1, 60, "转副职领导（工作日）"),
                Param("discipline_days", "number", 7, 1, 60, "转纪检监察（工作日）"),
            ),
        ),
    )
}
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _bad(name: str, en: str, zh: str) -> Unprocessable:
    return Unprocessable(
        f"Parameter {name!r} {en}",
        f"参数“{name}”{zh}",
        code="invalid-rule-params",
        errors=[{"field": f"params.{name}", "message": en, "message_zh": zh}],
    )


def check_params(template_code: str, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The template's parameters with `given` applied, each checked; unknown names refused."""
    template = TEMPLATES.get(template_code)
    if template is None:
        raise Unprocessable(
            f"Unknown rule template {template_code!r}; one of " + ", ".join(TEMPLATES),
            f"规则模板“{template_code}”不存在",
            code="unknown-template",
        )
    given = dict(given or {})
    known = {p.name for p in template.params}
    for name in given:
        if name not in known:
            raise _bad(name, "is not a parameter of this template", "不是该模板的参数")
    params: dict[str, Any] = {}
    for p in template.params:
        value = given.get(p.name, p.default)
        params[p.name] = _check(p, value)
    if template_code == "escalation":
        days = [params["leader_days"], params["deputy_days"], params["discipline_days"]]
        if days != sorted(days) or len(set(days)) < 3:
            raise _bad(
                "discipline_days",
                "must follow leader_days < deputy_days < discipline_days",
                "须满足 分管领导 < 副职领导 < 纪检监察",
            )
    if template_code == "out_of_hours" and params["start"] >= params["end"]:
        raise _bad("end", "must be after start", "须晚于上班时间")
    return params


def _check(p: Param, value: Any) -> Any:
    if p.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(p.name, "must be a number", "须为数字")
        if not p.low <= value <= p.high:
            raise _bad(
                p.name,
                f"must be from {p.low:g} to {p.high:g}",
                f"须在 {p.low:g} 至 {p.high:g} 之间",
            )
        return value
    if p.kind == "time":
        if not isinstance(value, str) or not _TIME.match(value):
            raise _bad(p.name, "must be a time HH:MM", "须为 HH:MM 格式的时间")
        return value
    if p.kind == "pairs":
        if (
            not isinstance(value, list)
            or not value
            or len(value) > 20
            or not all(
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(s, str) and 0 < len(s) <= 64 for s in pair)
                and pair[0] != pair[1]
                for pair in value
            )
        ):
            raise _bad(
                p.name,
                "must be a list of two different step codes each",
                "须为若干对不同的环节编码",
            )
        return value
    if (
        not isinstance(value, list)
        or len(value) > 100
        or not all(isinstance(s, str) and 0 < len(s) <= 64 for s in value)
    ):
        raise _bad(p.name, "must be a list of short texts", "须为文本列表")
    return value
