"""The 数据铁笼 JSON API: the power list (JSON and XLSX), step reports, rules as data,
warnings and their lifecycle, a pass of the rules on demand, scores and trends. Thin: parse →
call the service → render. Included under /api/supervision by `api.router`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Header, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from zhuyun.core.errors import NotFound
from zhuyun.core.paging import Page, PageDep
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.supervision import operations, powers, scores
from zhuyun.supervision import warnings as warning_service
from zhuyun.supervision.iron_schemas import (
    ImportResult,
    LinkIn,
    PassPublic,
    PowerIn,
    PowerPublic,
    RuleChange,
    RuleIn,
    RulePublic,
    ScorePublic,
    StepReportIn,
    StepReportPublic,
    TemplatePublic,
    TextIn,
    VerifyIn,
    WarningPublic,
)
from zhuyun.supervision.models import Power, RuleWarning
from zhuyun.supervision.powers.service import links_of
from zhuyun.supervision.remit import ALL_UNITS, remit_of
from zhuyun.supervision.rules import service as rules
from zhuyun.supervision.rules.batch import run_over_ledger
from zhuyun.supervision.rules.replay import supervise_log
from zhuyun.supervision.rules.templates import TEMPLATES
from zhuyun.supervision.rules.watcher import run_once
from zhuyun.supervision.warnings.service import ESCALATION_ZH

router = APIRouter()
PowerReader = Annotated[Principal, Allowed(Permission.SUPERVISION_POWERS_READ)]
PowerKeeper = Annotated[Principal, Allowed(Permission.SUPERVISION_POWERS)]
Reporter = Annotated[Principal, Allowed(Permission.SUPERVISION_REPORT)]
Supervisor = Annotated[Principal, Allowed(Permission.SUPERVISION_WARNINGS)]
PowerCode = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
RuleCode = Annotated[str, PathParam(pattern=r"^[a-z][a-z0-9_.-]{1,63}$")]
WarningId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
UnitId = Annotated[int | None, Query(ge=1, le=2_147_483_647)]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POWER_TYPE = Literal["许可", "处罚", "强制", "征收", "给付", "检查", "确认", "裁决", "奖励", "其他"]


def _power_public(session: Session, items: list[Power]) -> list[PowerPublic]:
    names = identity.unit_names(session, {p.unit_id for p in items})
    links = links_of(session, [p.code for p in items])
    return [
        PowerPublic.model_validate(p).model_copy(
            update={
                "unit_name": names.get(p.unit_id, ""),
                "links": [
                    LinkIn.model_validate({"kind": k, "code": c}) for k, c in links.get(p.code, [])
                ],
            }
        )
        for p in items
    ]


@router.get("/powers", response_model=Page[PowerPublic], summary="Power list / 权力清单")
def list_powers(
    principal: PowerReader,
    session: SessionDep,
    page: PageDep,
    unit_id: UnitId = None,
    power_type: POWER_TYPE | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[PowerPublic]:
    where = powers.PowerFilter(unit_id, power_type, q)
    # the power list is public within government: every unit's powers are listed
    rows, total = powers.list_powers(session, where, ALL_UNITS, page.offset, page.limit)
    return Page.of(_power_public(session, rows), total, page)


@router.get(
    "/powers.xlsx",
    summary="The power list as a spreadsheet / 导出权力清单（XLSX）",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def export_powers(
    _: PowerReader,
    session: SessionDep,
    unit_id: UnitId = None,
    template: Annotated[bool, Query(description="the blank template only")] = False,
) -> Response:
    where = powers.PowerFilter(unit_id=unit_id)
    data = powers.export_workbook(session, where, ALL_UNITS, blank=template)
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="power-list.xlsx"'},
    )


@router.post(
    "/powers.xlsx",
    response_model=ImportResult,
    status_code=201,
    summary="Import a filled-in power list / 导入权力清单（XLSX）",
)
def import_powers(
    principal: PowerKeeper,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="the filled-in workbook (.xlsx)")],
) -> ImportResult:
    data = file.file.read(powers.service.MAX_WORKBOOK_BYTES + 1)
    saved = powers.import_workbook(
        session, principal.as_actor(), data, remit_of(session, principal)
    )
    return ImportResult(saved=len(saved), codes=[p.code for p in saved])


@router.post(
    "/powers",
    response_model=PowerPublic,
    status_code=201,
    summary="Save one power (replaces by code) / 保存权力事项",
)
def save_power(principal: PowerKeeper, session: SessionDep, body: PowerIn) -> PowerPublic:
    draft = powers.PowerDraft(
        code=body.code,
        unit_code=body.unit_code,
        name=body.name,
        power_type=body.power_type,
        legal_basis=body.legal_basis,
        responsible=body.responsible,
        time_limit_days=body.time_limit_days,
        steps=[powers.Step(**s.model_dump()) for s in body.steps],
        discretion=[powers.Benchmark(**b.model_dump()) for b in body.discretion],
        risks=[powers.RiskPoint(**r.model_dump()) for r in body.risks],
        links=[(link.kind, link.code) for link in body.links],
    )
    saved = powers.save_powers(session, principal.as_actor(), [draft], remit_of(session, principal))
    return _power_public(session, saved)[0]


@router.get("/powers/{code}", response_model=PowerPublic, summary="One power / 权力事项")
def get_power(code: PowerCode, _: PowerReader, session: SessionDep) -> PowerPublic:
    return _power_public(session, [powers.get_power(session, code)])[0]


@router.post(
    "/operations",
    response_model=StepReportPublic,
    status_code=201,
    summary="Report a step of a power's case / 报送权力运行环节",
    responses={200: {"description": "reported before with this Idempotency-Key"}},
)
def report_step(
    principal: Reporter, session: SessionDep, body: StepReportIn, idempotency_key: IdemKey = None
) -> JSONResponse:
    report = operations.StepReport(
        body.power_code, body.case_ref, body.step, body.amount, body.article
    )
    result, created = operations.report_step(session, principal, report, idempotency_key)
    return JSONResponse(result, status_code=201 if created else 200)


# --- rules ---------------------------------------------------------------------------------


@router.get(
    "/rule-templates", response_model=list[TemplatePublic], summary="Rule templates / 规则模板"
)
def rule_templates(_: Supervisor) -> list[TemplatePublic]:
    return [
        TemplatePublic(
            code=t.code,
            name_zh=t.name_zh,
            name_en=t.name_en,
            params=[
                {
                    "name": p.name,
                    "kind": p.kind,
                    "default": p.default,
                    "low": p.low,
                    "high": p.high,
                    "label_zh": p.label_zh,
                }
                for p in t.params
            ],
        )
        for t in TEMPLATES.values()
    ]


@router.get("/rules", response_model=Page[RulePublic], summary="Rules / 监督规则")
def list_rules(principal: Supervisor, session: SessionDep, page: PageDep) -> Page[RulePublic]:
    rows, total = rules.list_rules(session, remit_of(session, principal), page.offset, page.limit)
    return Page.of([RulePublic.model_validate(r) for r in rows], total, page)


@router.post(
    "/rules",
    response_model=RulePublic,
    status_code=201,
    summary="Add a rule from a template / 从模板新增规则",
)
def add_rule(principal: Supervisor, session: SessionDep, body: RuleIn) -> RulePublic:
    rule = rules.add_rule(
        session,
        principal.as_actor(),
        remit_of(session, principal),
        code=body.code,
        template=body.template,
        name=body.name,
        unit_id=body.unit_id,
        power_code=body.power_code,
        params=body.params,
        enabled=body.enabled,
    )
    return RulePublic.model_validate(rule)


@router.patch(
    "/rules/{code}", response_model=RulePublic, summary="Tune or switch a rule / 调整或启停规则"
)
def change_rule(
    code: RuleCode, principal: Supervisor, session: SessionDep, body: RuleChange
) -> RulePublic:
    rule = rules.update_rule(
        session,
        principal.as_actor(),
        remit_of(session, principal),
        rules.get_rule(session, code),
        params=body.params,
        enabled=body.enabled,
    )
    return RulePublic.model_validate(rule)


@router.post(
    "/rules/run",
    response_model=PassPublic,
    summary="Evaluate new ledger entries now / 立即运行规则",
)
def run_rules(_: Supervisor, session: SessionDep) -> PassPublic:
    done = run_once(session)
    return PassPublic(**vars(done))


@router.post("/rules/batch", summary="All rules over the whole ledger (DuckDB) / 历史批量检查")
def run_batch(_: Supervisor, session: SessionDep) -> dict[str, object]:
    return run_over_ledger(session)


@router.post(
    "/logs/{log_id}/supervise", summary="Run the rules over an imported log / 监督导入日志"
)
def supervise_imported_log(
    log_id: Annotated[int, PathParam(ge=1, le=2_147_483_647)],
    principal: Supervisor,
    session: SessionDep,
    power_code: Annotated[str, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")],
) -> dict[str, int]:
    power = powers.get_power(session, power_code)
    remit_of(session, principal).refuse_unless_covers(power.unit_id)
    return supervise_log(session, principal.as_actor(), log_id, power_code)


# --- warnings ------------------------------------------------------------------------------


def _warning_public(rows: list[RuleWarning]) -> list[WarningPublic]:
    return [
        WarningPublic.model_validate(w).model_copy(
            update={"escalated_to": ESCALATION_ZH[w.escalation]}
        )
        for w in rows
    ]


Status = Literal["open", "explained", "closed", "false_positive"]
Level = Literal["yellow", "red"]


@router.get(
    "/warnings",
    response_model=Page[WarningPublic],
    summary="Warnings within the remit / 预警（监督范围内）",
)
def list_warnings(
    principal: Supervisor,
    session: SessionDep,
    page: PageDep,
    status: Status | None = None,
    level: Level | None = None,
    unit_id: UnitId = None,
    template: Annotated[str | None, Query(max_length=40)] = None,
    case_id: Annotated[str | None, Query(max_length=128)] = None,
) -> Page[WarningPublic]:
    remit = remit_of(session, principal)
    if unit_id is not None:
        remit.refuse_unless_covers(unit_id)
    where = warning_service.WarningFilter(status, level, unit_id, template, case_id=case_id)
    rows, total = warning_service.list_warnings(session, where, remit, page.offset, page.limit)
    return Page.of(_warning_public(rows), total, page)


@router.get(
    "/warnings/mine", response_model=Page[WarningPublic], summary="Warnings on me / 我的预警"
)
def my_warnings(
    principal: Reporter, session: SessionDep, page: PageDep, status: Status | None = None
) -> Page[WarningPublic]:
    where = warning_service.WarningFilter(status=status, officer_id=principal.account_id)
    rows, total = warning_service.list_warnings(session, where, None, page.offset, page.limit)
    return Page.of(_warning_public(rows), total, page)


def _within_remit(session: Session, principal: Principal, warning_id: int) -> RuleWarning:
    warning = warning_service.get_warning(session, warning_id)
    if not remit_of(session, principal).covers(warning.unit_id):
        raise NotFound(
            f"Warning {warning_id} does not exist.",
            f"预警 {warning_id} 不存在。",
            code="warning-not-found",
        )  # a warning outside the remit is not shown
    return warning


@router.get("/warnings/{warning_id}", response_model=WarningPublic, summary="A warning / 预警")
def get_warning(warning_id: WarningId, principal: Supervisor, session: SessionDep) -> WarningPublic:
    return _warning_public([_within_remit(session, principal, warning_id)])[0]


@router.post(
    "/warnings/{warning_id}/explain",
    response_model=WarningPublic,
    summary="The officer explains / 经办人说明",
)
def explain(
    warning_id: WarningId, principal: Reporter, session: SessionDep, body: TextIn
) -> WarningPublic:
    warning = warning_service.get_warning(session, warning_id)
    warning_service.explain(session, principal, warning, body.text)
    return _warning_public([warning])[0]


@router.post(
    "/warnings/{warning_id}/verify",
    response_model=WarningPublic,
    summary="Verify the explanation / 核查说明",
)
def verify(
    warning_id: WarningId, principal: Supervisor, session: SessionDep, body: VerifyIn
) -> WarningPublic:
    warning = _within_remit(session, principal, warning_id)
    warning_service.verify(
        session,
        principal.as_actor(),
        remit_of(session, principal),
        warning,
        body.accepted,
        body.feedback,
    )
    return _warning_public([warning])[0]


@router.post(
    "/warnings/{warning_id}/false-positive",
    response_model=WarningPublic,
    summary="Mark a false positive (tunes the rule) / 标记误报",
)
def false_positive(
    warning_id: WarningId, principal: Supervisor, session: SessionDep, body: TextIn
) -> WarningPublic:
    warning = _within_remit(session, principal, warning_id)
    warning_service.mark_false_positive(
        session, principal.as_actor(), remit_of(session, principal), warning, body.text
    )
    return _warning_public([warning])[0]


# --- evaluation ----------------------------------------------------------------------------


@router.get(
    "/scores",
    response_model=list[ScorePublic],
    summary="Scores per unit or officer / 单位与个人评价",
)
def list_scores(
    principal: Supervisor,
    session: SessionDep,
    by: Literal["unit", "officer"] = "unit",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ScorePublic]:
    found = scores.scores(session, remit_of(session, principal), by)[:limit]
    return [ScorePublic(**s.as_json()) for s in found]  # type: ignore[arg-type]


@router.get("/trend", summary="Warnings and cases per day / 预警与办结趋势")
def get_trend(
    principal: Supervisor,
    session: SessionDep,
    days: Annotated[int, Query(ge=7, le=365)] = 30,
) -> dict[str, list[object]]:
    return scores.trend(session, remit_of(session, principal), days)
