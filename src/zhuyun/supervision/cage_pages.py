"""数据铁笼 pages: the power list (权力清单) with its workbook, warnings (预警处置) for the
supervisor and the officer, the big-screen dashboard (监督大屏), and the public page of a
case that a citizen reaches by scanning its QR code (no personal data). Thin: the services
do the work. Included by `pages.router`."""

from __future__ import annotations

import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from zhuyun.core.errors import NotFound, Problem
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, MaybeCaller, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.supervision import powers, scores
from zhuyun.supervision import warnings as warning_service
from zhuyun.supervision.models import Power, PowerCase, RuleWarning
from zhuyun.supervision.powers.spec import POWER_TYPES
from zhuyun.supervision.remit import ALL_UNITS, remit_of
from zhuyun.supervision.rules.engine import span_zh
from zhuyun.supervision.rules.templates import TEMPLATES
from zhuyun.supervision.warnings.service import ESCALATION_ZH, LEVELS, STATUSES
from zhuyun.web.rendering import NavItem, PostedForm, pager, redirect, register_nav, render

router = APIRouter(include_in_schema=False)
register_nav(
    NavItem(
        "权力清单", "/supervision/powers", "supervision", Permission.SUPERVISION_POWERS_READ, 900
    )
)
register_nav(
    NavItem("监督预警", "/supervision/warnings", "shield", Permission.SUPERVISION_WARNINGS, 901)
)
register_nav(
    NavItem("我的预警", "/supervision/my-warnings", "alert", Permission.SUPERVISION_REPORT, 902)
)
register_nav(
    NavItem("监督大屏", "/supervision/dashboard", "chart", Permission.SUPERVISION_WARNINGS, 903)
)

PowerReader = Annotated[Principal, Allowed(Permission.SUPERVISION_POWERS_READ)]
PowerKeeper = Annotated[Principal, Allowed(Permission.SUPERVISION_POWERS)]
Reporter = Annotated[Principal, Allowed(Permission.SUPERVISION_REPORT)]
Supervisor = Annotated[Principal, Allowed(Permission.SUPERVISION_WARNINGS)]
PAGE = 30


# --- the power list ------------------------------------------------------------------------


def _powers_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    unit_id: int | None,
    power_type: str,
    q: str,
    offset: int,
    errors: list[dict[str, Any]] | None = None,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    where = powers.PowerFilter(unit_id, power_type or None, q or None)
    rows, total = powers.list_powers(session, where, ALL_UNITS, offset, PAGE)
    names = identity.unit_names(session, {p.unit_id for p in rows})
    params = {"unit_id": str(unit_id) if unit_id else None, "power_type": power_type, "q": q}
    return render(
        request,
        "supervision_powers.html",
        page_title="权力清单",
        status_code=status_code,
        flash=flash,
        powers=rows,
        names=names,
        types=POWER_TYPES,
        power_type=power_type,
        q=q,
        unit_id=unit_id,
        pager=pager("/supervision/powers", params, offset, PAGE, total),
        can_keep=principal.can(Permission.SUPERVISION_POWERS),
        errors=errors or [],
    )


@router.get("/supervision/powers", response_class=HTMLResponse)
def power_list(
    request: Request,
    principal: PowerReader,
    session: SessionDep,
    unit_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    power_type: Annotated[str, Query(max_length=10)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    return _powers_page(
        request, session, principal, unit_id=unit_id, power_type=power_type, q=q, offset=offset
    )


@router.post("/supervision/powers", response_class=HTMLResponse)
def power_upload(
    request: Request, principal: PowerKeeper, session: SessionDep, form: PostedForm
) -> HTMLResponse:
    upload = form.get("file")
    limit = powers.service.MAX_WORKBOOK_BYTES + 1
    data = upload.file.read(limit) if isinstance(upload, UploadFile) else b""
    try:
        saved = powers.import_workbook(
            session, principal.as_actor(), data, remit_of(session, principal)
        )
    except Problem as problem:
        session.rollback()
        return _powers_page(
            request,
            session,
            principal,
            unit_id=None,
            power_type="",
            q="",
            offset=0,
            errors=problem.errors or [{"message_zh": problem.message_zh}],
            flash={"kind": "error", "text": problem.message_zh},
            status_code=422,
        )
    text = f"已导入 {len(saved)} 项权力：" + "、".join(p.code for p in saved[:10])
    return _powers_page(
        request,
        session,
        principal,
        unit_id=None,
        power_type="",
        q="",
        offset=0,
        flash={"kind": "success", "text": text},
    )


@router.get("/supervision/powers/{code}", response_class=HTMLResponse)
def power_detail(
    request: Request,
    _: PowerReader,
    session: SessionDep,
    code: Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")],
) -> HTMLResponse:
    power = powers.get_power(session, code)
    cases = session.scalars(
        select(PowerCase)
        .where(PowerCase.power_code == code)
        .order_by(PowerCase.id.desc())
        .limit(20)
    ).all()
    unit = identity.get_unit(session, power.unit_id)
    return render(
        request,
        "supervision_power.html",
        page_title=power.name,
        power=power,
        unit=unit,
        cases=cases,
        links=powers.service.links_of(session, [code]).get(code, []),
    )


# --- warnings ------------------------------------------------------------------------------


def _warning_rows(session: Session, rows: list[RuleWarning]) -> dict[str, Any]:
    return {
        "warnings": rows,
        "unit_names": identity.unit_names(session, {w.unit_id for w in rows}),
        "levels": LEVELS,
        "statuses": STATUSES,
        "ladder": ESCALATION_ZH,
        "template_names": {t.code: t.name_zh for t in TEMPLATES.values()},
    }


@router.get("/supervision/warnings", response_class=HTMLResponse)
def warning_list(
    request: Request,
    principal: Supervisor,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "",
    level: Annotated[str, Query(max_length=10)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    where = warning_service.WarningFilter(
        status=status if status in STATUSES else None, level=level if level in LEVELS else None
    )
    remit = remit_of(session, principal)
    rows, total = warning_service.list_warnings(session, where, remit, offset, PAGE)
    return render(
        request,
        "supervision_warnings.html",
        page_title="监督预警",
        mine=False,
        status=status,
        level=level,
        flash=_flash(request),
        pager=pager(
            "/supervision/warnings", {"status": status, "level": level}, offset, PAGE, total
        ),
        **_warning_rows(session, rows),
    )


@router.get("/supervision/my-warnings", response_class=HTMLResponse)
def my_warning_list(
    request: Request,
    principal: Reporter,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    where = warning_service.WarningFilter(officer_id=principal.account_id)
    rows, total = warning_service.list_warnings(session, where, None, offset, PAGE)
    return render(
        request,
        "supervision_warnings.html",
        page_title="我的预警",
        mine=True,
        status="",
        level="",
        flash=_flash(request),
        pager=pager("/supervision/my-warnings", {}, offset, PAGE, total),
        **_warning_rows(session, rows),
    )


def _flash(request: Request) -> dict[str, str] | None:
    done = request.query_params.get("done", "")
    texts = {
        "explained": "说明已提交。",
        "verified": "核查意见已记录。",
        "false_positive": "已标记为误报，规则阈值已相应调整。",
    }
    return {"kind": "success", "text": texts[done]} if done in texts else None


WarningId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]


@router.post("/supervision/my-warnings/{warning_id}", response_class=HTMLResponse)
def explain_form(
    request: Request,
    warning_id: WarningId,
    principal: Reporter,
    session: SessionDep,
    form: PostedForm,
) -> Response:
    warning = warning_service.get_warning(session, warning_id)
    warning_service.explain(session, principal, warning, str(form.get("text") or "")[:2000])
    return redirect("/supervision/my-warnings?done=explained")


@router.post("/supervision/warnings/{warning_id}", response_class=HTMLResponse)
def supervise_form(
    request: Request,
    warning_id: WarningId,
    principal: Supervisor,
    session: SessionDep,
    form: PostedForm,
) -> Response:
    remit = remit_of(session, principal)
    warning = warning_service.get_warning(session, warning_id)
    if not remit.covers(warning.unit_id):
        raise NotFound(f"Warning {warning_id} does not exist.", f"预警 {warning_id} 不存在。")
    action = str(form.get("action") or "")
    text = str(form.get("text") or "")[:2000]
    if action == "false_positive":
        warning_service.mark_false_positive(session, principal.as_actor(), remit, warning, text)
        return redirect("/supervision/warnings?done=false_positive")
    warning_service.verify(session, principal.as_actor(), remit, warning, action == "accept", text)
    return redirect("/supervision/warnings?done=verified")


# --- the big screen ------------------------------------------------------------------------


@router.get("/supervision/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, principal: Supervisor, session: SessionDep) -> HTMLResponse:
    remit = remit_of(session, principal)
    units = scores.scores(session, remit, "unit")
    rows, open_total = warning_service.list_warnings(
        session, warning_service.WarningFilter(status="open"), remit, 0, 12
    )
    by_template: dict[str, int] = {}
    cases_q = select(func.count()).select_from(PowerCase)
    warnings_q = select(RuleWarning.template, func.count()).group_by(RuleWarning.template)
    if remit.unit_ids is not None:
        cases_q = cases_q.where(PowerCase.unit_id.in_(remit.unit_ids))
        warnings_q = warnings_q.where(RuleWarning.unit_id.in_(remit.unit_ids))
    for template, count in session.execute(warnings_q):
        by_template[TEMPLATES[template].name_zh if template in TEMPLATES else template] = count
    figures = {
        "powers": session.scalar(select(func.count()).select_from(Power)) or 0,
        "cases": session.scalar(cases_q) or 0,
        "open_warnings": open_total,
        "warnings": sum(by_template.values()),
    }
    chart = {
        "trend": scores.trend(session, remit, 60),
        "by_template": by_template,
        "units": [{"name": s.name, "score": s.score} for s in units[:12]],
    }
    return render(
        request,
        "supervision_dashboard.html",
        page_title="监督大屏",
        figures=figures,
        chart=chart,
        units=units[:12],
        **_warning_rows(session, rows),
    )


# --- the public page of a case -------------------------------------------------------------

Token = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{8,32}$")]


def _public_case(session: Session, token: str) -> PowerCase:
    case = session.scalar(select(PowerCase).where(PowerCase.public_token == token))
    if case is None:
        raise NotFound(
            "No case has that code.", "没有找到该办件，请核对二维码。", code="case-not-found"
        )
    return case


@router.get("/supervision/public/cases/{token}", response_class=HTMLResponse)
def public_case(
    request: Request, token: Token, _: MaybeCaller, session: SessionDep
) -> HTMLResponse:
    case = _public_case(session, token)
    power = powers.get_power(session, case.power_code)
    names = {s["code"]: s for s in power.steps}
    done = []
    for d in case.steps_done or []:
        step = names.get(d["step"], {"name": d["step"]})
        done.append({"name": step["name"], "at": d["at"]})
    expected = [
        s["name"]
        for s in power.steps
        if s["code"] not in {d["step"] for d in case.steps_done or []}
    ]
    unit = identity.get_unit(session, power.unit_id)
    return render(
        request,
        "supervision_public_case.html",
        page_title=f"办件进度 · {power.name}",
        case=case,
        power=power,
        unit=unit,
        done=done,
        expected=expected,
        duration=span_zh(case.duration_s) if case.duration_s is not None else None,
        qr_url=f"/supervision/public/cases/{token}/qr.png",
    )


@router.get("/supervision/public/cases/{token}/qr.png")
def public_case_qr(request: Request, token: Token, _: MaybeCaller, session: SessionDep) -> Response:
    _public_case(session, token)
    url = str(request.url_for("public_case", token=token))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
    return Response(
        buffer.getvalue(),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/supervision/cases/{case_id:path}/public")
def case_public_link(case_id: str, _: Supervisor, session: SessionDep) -> RedirectResponse:
    """From a case id (as warnings name it) to its public page."""
    case = session.scalar(select(PowerCase).where(PowerCase.case_id == case_id[:128]))
    if case is None:
        raise NotFound("No tracked case has that id.", "没有该办件。", code="case-not-found")
    return RedirectResponse(f"/supervision/public/cases/{case.public_token}", status_code=303)
