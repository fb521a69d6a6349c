"""Pages of the exchange: a unit's sources and drafting resources from their tables; sharing
applications (inbox, outbox, escalations) and the apply form; grants; the query console; a
resource's access log; "who read my data"; the sharing statistics.

Thin like api.py: read the form, call the exchange's services, render. A problem the person
can fix comes back as a Chinese flash message on the same page, with what they typed kept
(never a secret).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from json import JSONDecodeError, loads
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from zhuyun.catalog import service as catalog
from zhuyun.catalog.vocab import Sensitivity, ShareType, stricter
from zhuyun.core.calendar import WorkingCalendar, china_today
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Forbidden, Problem, Unprocessable
from zhuyun.core.holidays import load_calendar
from zhuyun.core.ledger import SYSTEM, LedgerQuery, list_entries
from zhuyun.core.paging import PageDep
from zhuyun.exchange.connectors import Filter, SourceKind
from zhuyun.exchange.formats import MEDIA_TYPES, OutputFormat, csv_stream
from zhuyun.exchange.models import Application, Binding, Grant
from zhuyun.exchange.service import access, applications, gateway, sources
from zhuyun.exchange.service.applications import STATUS_LABELS_ZH, Status
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, Caller, SessionDep, SettingsDep, get_database
from zhuyun.identity.permissions import AccountKind, Permission, Principal, Role
from zhuyun.web.rendering import (
    NavItem,
    PostedForm,
    local_time,
    pager,
    redirect,
    register_nav,
    render,
    templates,
)

router = APIRouter(include_in_schema=False)
register_nav(NavItem("数据源", "/exchange/sources", "settings", Permission.SOURCES_MANAGE, 200))
register_nav(NavItem("数据调用", "/exchange/query", "search", Permission.EXCHANGE_QUERY, 210))
register_nav(
    NavItem("共享申请", "/exchange/applications", "exchange", Permission.EXCHANGE_APPLY, 220)
)
register_nav(NavItem("共享授权", "/exchange/grants", "key", Permission.EXCHANGE_QUERY, 230))
register_nav(NavItem("共享统计", "/exchange/statistics", "chart", Permission.DASHBOARD_READ, 250))
register_nav(NavItem("谁查看了我的数据", "/exchange/my-access", "shield", Permission.SELF, 260))

templates.env.globals["exchange_labels"] = {
    "kind": {
        "sqlite": "SQLite 数据库",
        "postgresql": "PostgreSQL 数据库",
        "mysql": "MySQL / MariaDB 数据库",
        "csv": "CSV 文件",
        "parquet": "Parquet 文件",
        "xlsx": "Excel 表格（XLSX）",
        "http_json": "HTTP JSON 接口",
    },
    "source_status": {"ok": "连接正常", "down": "无法连接", "unknown": "未检测"},
    "application_status": STATUS_LABELS_ZH,
    "activity": {
        "exchange.query": "调用",
        "exchange.exported": "导出",
        "exchange.refused": "拒绝",
        "exchange.failed": "失败",
    },
    "rule": {
        "not-published": "资源未发布",
        "unknown-item": "信息项不存在",
        "not-shared": "不予共享资源",
        "item-not-shared": "信息项不予共享",
        "grant-required": "需先申请授权",
        "grant-revoked": "授权已撤销",
        "grant-expired": "授权已过期",
        "grant-purpose": "用途不在授权范围",
        "grant-items": "信息项超出授权",
        "daily-limit": "超出每日额度",
        "no-unit": "无所属单位",
    },
}

IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
OptionalId = Annotated[int | None, Query(ge=1, le=2_147_483_647)]
Message = Annotated[str | None, Query(max_length=40)]
Managing = Annotated[Principal, Allowed(Permission.SOURCES_MANAGE)]
Querying = Annotated[Principal, Allowed(Permission.EXCHANGE_QUERY)]
Applying = Annotated[Principal, Allowed(Permission.EXCHANGE_APPLY)]
Reviewing = Annotated[Principal, Allowed(Permission.EXCHANGE_REVIEW)]

MAX_ID = 2_147_483_647
CONSOLE_MAX_ROWS = 1_000
MAX_CHOICES = 300
STATS_DAYS = 30
CHART_UNITS = 12
MASKED = {Sensitivity.SENSITIVE, Sensitivity.SECRET}
FLASHES = {
    "registered": (
        "success",
        "数据源已登记。凭据已加密保存，不会再显示。请检测连通性后从数据表生成目录资源。",
    ),
    "submitted": ("success", "申请已提交，等待提供单位审核。"),
    "duplicate": ("info", "该申请已经提交过，没有重复受理。"),
    "approved": ("success", "已批准，共享授权即刻生效。"),
    "rejected": ("success", "已驳回，申请单位将看到驳回理由。"),
    "withdrawn": ("success", "申请已撤回。"),
    "revoked": ("success", "授权已撤销，该单位下一次调用即被拒绝。"),
}


def _flash(msg: str | None) -> dict[str, str] | None:
    found = FLASHES.get(msg or "")
    return {"kind": found[0], "text": found[1]} if found else None


def _error(problem: Problem) -> dict[str, str]:
    prefix = "调用被拒绝：" if problem.code.startswith("policy-") else ""
    return {"kind": "error", "text": prefix + problem.message_zh}


def _key(settings: SettingsDep) -> str:
    return settings.secret_key.get_secret_value()


# -- reading forms: a bad value is a Problem, shown as a flash ---------------------------


def _text(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _list(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v][:200]


def _bad(label_zh: str, hint_zh: str) -> Unprocessable:
    return Unprocessable(f"{label_zh}: bad value.", f"{label_zh}{hint_zh}", code="bad-form")


def _int(form: FormData, name: str, label_zh: str, low: int, high: int) -> int:
    try:
        value = int(_text(form, name, 20))
    except ValueError:
        raise _bad(label_zh, "须为整数。") from None
    if not low <= value <= high:
        raise _bad(label_zh, f"须在 {low:,} 至 {high:,} 之间。")
    return value


def _date(form: FormData, name: str, label_zh: str) -> date:
    try:
        return date.fromisoformat(_text(form, name, 20))
    except ValueError:
        raise _bad(label_zh, "须为日期，格式如 2026-12-31。") from None


# -- naming things in lists ---------------------------------------------------------------


def _unit_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    return {u.id: u.name for u in identity.units_by_id(session, {i for i in ids if i})}


class _Resources:
    """Published views of the resources a page mentions, each read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.views: dict[int, catalog.PublishedResource | None] = {}

    def view(self, resource_id: int) -> catalog.PublishedResource | None:
        if resource_id not in self.views:
            try:
                self.views[resource_id] = catalog.published_view(self.session, resource_id)
            except Problem:
                self.views[resource_id] = None
        return self.views[resource_id]

    def name(self, resource_id: int) -> str:
        view = self.view(resource_id)
        return view.name if view else f"资源 {resource_id}"

    def items(self, resource_id: int, fields: Sequence[str]) -> list[dict[str, str]]:
        view = self.view(resource_id)
        return [
            {"field": f, "name": view.items[f].name if view and f in view.items else f}
            for f in fields
        ]


def _item_choices(view: catalog.PublishedResource, own: bool) -> list[dict[str, Any]]:
    """A resource's items as checkboxes: the share type that applies to each (the stricter
    of the resource's and the item's), its grade, whether values come masked."""
    rows = []
    for item in view.items.values():
        share = stricter(view.share_type, item.share_type)
        rows.append(
            {
                "field": item.field,
                "name": item.name,
                "share_type": share.value,
                "sensitivity": item.sensitivity.value,
                "masked": item.sensitivity in MASKED and not own,
                "closed": share == ShareType.NONE and not own,
            }
        )
    return rows


def _queryable(session: Session) -> list[dict[str, Any]]:
    """Published resources bound to a source, grouped by provider, for the selects."""
    ids = session.scalars(
        select(Binding.resource_id).order_by(Binding.resource_id).limit(MAX_CHOICES)
    ).all()
    found = [catalog.get_resource(session, rid) for rid in ids]
    found = [r for r in found if r.version > 0 and r.status == "published"]
    names = _unit_names(session, (r.provider_unit_id for r in found))
    return sorted(
        (
            {"id": r.id, "name": r.name, "provider": names.get(r.provider_unit_id, "")}
            for r in found
        ),
        key=lambda r: (r["provider"], r["name"]),
    )


# -- 数据源: a unit's sources ---------------------------------------------------------------


def _scope(principal: Principal) -> int | None:
    """Whose sources a person sees: a platform admin all (None), a data admin their unit's."""
    if principal.has_role(Role.PLATFORM_ADMIN):
        return None
    if principal.unit_id is None:
        raise Forbidden("You belong to no unit.", "您不隶属任何单位，无法管理数据源。")
    return principal.unit_id


def _sources_page(
    request: Request,
    session: Session,
    principal: Principal,
    offset: int,
    limit: int,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    unit_id = _scope(principal)
    rows, total = sources.list_sources(session, unit_id, offset, limit)
    names = _unit_names(session, [s.unit_id for s in rows] + [principal.unit_id])
    units: list[dict[str, Any]] = []
    if unit_id is None:
        departments, _ = identity.list_units(session, kind="department", limit=600)
        units = [{"id": u.id, "name": u.name} for u in departments]
    return render(
        request,
        "exchange_sources.html",
        page_title="数据源",
        flash=flash,
        status_code=status_code,
        rows=rows,
        unit_names=names,
        all_units=unit_id is None,
        units=units,
        own_unit=names.get(principal.unit_id or 0, ""),
        form=form or {"kind": "sqlite", "unit_id": str(principal.unit_id or "")},
        kinds=[k.value for k in SourceKind],
        pager=pager("/exchange/sources", {}, offset, limit, total),
    )


def _checked_flash(session: Session, source_id: int | None) -> dict[str, str] | None:
    if source_id is None:
        return None
    try:
        source = sources.get_source(session, source_id)
    except Problem:
        return None
    said = (source.status_message or "").split(" / ")[0]  # the Chinese half
    if source.status == "ok":
        return {"kind": "success", "text": f"检测完成，“{source.name}”{said}"}
    return {"kind": "error", "text": f"“{source.name}”无法连接：{said}"}


@router.get("/exchange/sources", response_class=HTMLResponse)
def sources_page(
    request: Request,
    principal: Managing,
    session: SessionDep,
    page: PageDep,
    checked: OptionalId = None,
) -> HTMLResponse:
    flash = _checked_flash(session, checked)
    return _sources_page(request, session, principal, page.offset, page.limit, flash)


def _options(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = loads(text)
    except JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise _bad("连接选项", '须为 JSON 对象，例如 {"schema": "share"}。')
    return value


@router.post("/exchange/sources", response_class=HTMLResponse)
def register_source(
    request: Request,
    principal: Managing,
    session: SessionDep,
    settings: SettingsDep,
    form: PostedForm,
) -> Response:
    values = {k: _text(form, k) for k in ("name", "kind", "location", "options", "unit_id")}
    secret = form.get("secret")
    try:
        kinds = {k.value for k in SourceKind}
        if values["kind"] not in kinds:
            raise _bad("数据源类型", "不在可选范围内。")
        if isinstance(secret, str) and len(secret) > 500:
            raise _bad("密钥", "不能超过 500 个字符。")
        unit_id = principal.unit_id
        if _scope(principal) is None and values["unit_id"]:
            unit_id = _int(form, "unit_id", "所属单位", 1, MAX_ID)
        if unit_id is None:
            raise _bad("所属单位", "不能为空。")
        draft = sources.SourceDraft(
            values["name"],
            SourceKind(values["kind"]),
            values["location"],
            _options(values["options"]),
            secret if isinstance(secret, str) and secret else None,
        )
        source = sources.register_source(session, principal, _key(settings), unit_id, draft)
    except Problem as problem:
        session.rollback()
        return _sources_page(
            request, session, principal, 0, 50, _error(problem), problem.status, values
        )
    return redirect(f"/exchange/sources/{source.id}?msg=registered")


@router.post("/exchange/sources/{source_id}/check", response_class=HTMLResponse)
def check_source(
    request: Request,
    source_id: IdPath,
    principal: Managing,
    session: SessionDep,
    settings: SettingsDep,
    back: Annotated[str, Form(max_length=10)] = "list",
) -> Response:
    try:
        sources.check_source(session, principal, _key(settings), source_id)
    except Problem as problem:
        session.rollback()
        return _sources_page(request, session, principal, 0, 50, _error(problem), problem.status)
    target = f"/exchange/sources/{source_id}" if back == "detail" else "/exchange/sources"
    return redirect(f"{target}?checked={source_id}")


def _draft_defaults(table: str, columns: Sequence[Any]) -> dict[str, str]:
    """Guesses for the binding: the key column, a resident-ID column, a division column."""
    names = [c.name for c in columns]
    key = next(
        (c.name for c in columns if c.is_key), next((c.name for c in columns if c.indexed), "")
    )
    subject = next((n for n in names if n in ("id_number", "head_id_number")), "")
    subject = subject or next((n for n in names if n.endswith("id_number")), "")
    division = next((n for n in names if n.endswith("division_code")), "")
    return {"table_name": table, "name": "", "summary": "", "key_field": key,
            "subject_field": subject, "division_field": division}  # fmt: skip


def _source_detail(
    request: Request,
    session: Session,
    settings: SettingsDep,
    principal: Principal,
    source_id: int,
    table: str | None,
    page: tuple[int, int] = (0, 100),
    flash: dict[str, str] | None = None,
    status_code: int = 200,
    draft: dict[str, str] | None = None,
) -> HTMLResponse:
    source = sources.get_source(session, source_id)
    sources.ensure_unit_admin(session, principal, source.unit_id, "source.read")
    tables: list[str] = []
    tables_error = columns_error = None
    try:
        tables = sources.source_tables(session, principal, _key(settings), source_id)
    except Problem as problem:
        tables_error = problem.message_zh
    bound: dict[str, list[dict[str, Any]]] = {}
    resources = _Resources(session)
    for binding in session.scalars(
        select(Binding).where(Binding.source_id == source_id).order_by(Binding.resource_id)
    ).all():
        name = catalog.get_resource(session, binding.resource_id).name
        published = resources.view(binding.resource_id) is not None
        bound.setdefault(binding.table_name, []).append(
            {"id": binding.resource_id, "name": name, "published": published,
             "key_field": binding.key_field}
        )  # fmt: skip
    columns: list[Any] = []
    if table:
        try:
            columns = sources.source_columns(session, principal, _key(settings), source_id, table)
        except Problem as problem:
            columns_error = problem.message_zh
    offset, limit = page
    return render(
        request,
        "exchange_source.html",
        page_title=source.name,
        flash=flash,
        status_code=status_code,
        source=source,
        unit_name=_unit_names(session, [source.unit_id]).get(source.unit_id, ""),
        tables=tables[offset : offset + limit],
        tables_error=tables_error,
        bound=bound,
        table=table,
        columns=columns,
        columns_error=columns_error,
        draft=draft or _draft_defaults(table or "", columns),
        pager=pager(f"/exchange/sources/{source_id}", {"table": table}, offset, limit, len(tables)),
    )


@router.get("/exchange/sources/{source_id}", response_class=HTMLResponse)
def source_detail(
    request: Request,
    source_id: IdPath,
    principal: Managing,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    table: Annotated[str | None, Query(max_length=200)] = None,
    msg: Message = None,
    checked: OptionalId = None,
) -> HTMLResponse:
    flash = _flash(msg) or _checked_flash(session, checked)
    return _source_detail(
        request, session, settings, principal, source_id, table, (page.offset, page.limit), flash
    )


@router.post("/exchange/sources/{source_id}/drafts", response_class=HTMLResponse)
def draft_from_table(
    request: Request,
    source_id: IdPath,
    principal: Managing,
    session: SessionDep,
    settings: SettingsDep,
    form: PostedForm,
) -> Response:
    fields = ("table_name", "name", "summary", "key_field", "subject_field", "division_field")
    values = {k: _text(form, k, 2000 if k == "summary" else 200) for k in fields}
    try:
        if not values["name"]:
            raise _bad("资源名称", "不能为空。")
        draft = sources.BindingDraft(
            source_id,
            values["table_name"],
            values["key_field"] or None,
            values["subject_field"] or None,
            values["division_field"] or None,
        )
        resource_id, _ = sources.draft_resource(
            session, principal, _key(settings), draft, values["name"], values["summary"]
        )
    except Problem as problem:
        session.rollback()
        return _source_detail(
            request, session, settings, principal, source_id, values["table_name"] or None,
            flash=_error(problem), status_code=problem.status, draft=values,
        )  # fmt: skip
    return redirect(f"/catalog/{resource_id}?msg=created")


# -- 共享申请: applications -----------------------------------------------------------------


def _may_decide(principal: Principal, application: Application) -> bool:
    return principal.can(Permission.EXCHANGE_COORDINATE) or (
        principal.can(Permission.EXCHANGE_REVIEW)
        and principal.has_role(Role.DATA_ADMIN, application.provider_unit_id)
    )


def _due(application: Application, today: date, calendar: WorkingCalendar) -> dict[str, Any]:
    """The review deadline in working days: how many are left, or how late it is."""
    if application.status != Status.PENDING:
        return {"on": application.due_on, "left": None, "late": 0}
    if application.due_on < today:
        return {"on": application.due_on, "left": None,
                "late": calendar.working_days_between(application.due_on, today)}  # fmt: skip
    left = calendar.working_days_between(today, application.due_on)
    return {"on": application.due_on, "left": left, "late": 0}


def _application_view(
    calendar: WorkingCalendar,
    application: Application,
    names: dict[int, str],
    resources: _Resources,
    today: date,
) -> dict[str, Any]:
    return {
        "a": application,
        "resource": resources.name(application.resource_id),
        "consumer": names.get(application.consumer_unit_id, ""),
        "provider": names.get(application.provider_unit_id, ""),
        "items": resources.items(application.resource_id, application.items),
        "due": _due(application, today, calendar),
        "submitted": local_time(application.submitted_at, "%Y-%m-%d %H:%M"),
        "decided": local_time(application.decided_at, "%Y-%m-%d %H:%M"),
    }


@router.get("/exchange/applications", response_class=HTMLResponse)
def applications_page(
    request: Request,
    principal: Applying,
    session: SessionDep,
    page: PageDep,
    box: Annotated[str, Query(pattern="^(inbox|outbox|escalated)$")] = "inbox",
    status: Annotated[str | None, Query(pattern="^(pending|approved|rejected|withdrawn)$")] = None,
) -> HTMLResponse:
    today = china_today()
    applications.escalate_overdue(session, SYSTEM, today)
    query = applications.ApplicationQuery(box, status)
    rows, total = applications.list_applications(session, principal, query, page.offset, page.limit)
    coordinator = principal.can(Permission.EXCHANGE_COORDINATE)
    tabs = ["inbox", "outbox"] + (["escalated"] if coordinator else [])
    pending = {
        tab: applications.list_applications(
            session, principal, applications.ApplicationQuery(tab, Status.PENDING), 0, 1
        )[1]
        for tab in tabs
    }
    names = _unit_names(
        session, [a.consumer_unit_id for a in rows] + [a.provider_unit_id for a in rows]
    )
    resources = _Resources(session)
    calendar = load_calendar(session)
    return render(
        request,
        "exchange_applications.html",
        page_title="共享申请",
        box=box,
        status=status or "",
        tabs=tabs,
        pending=pending,
        rows=[_application_view(calendar, a, names, resources, today) for a in rows],
        pager=pager(
            "/exchange/applications", {"box": box, "status": status}, page.offset, page.limit, total
        ),
    )


def _approval_defaults(application: Application) -> dict[str, Any]:
    return {
        "items": list(application.items),
        "clear_items": [],
        "valid_until": application.valid_until.isoformat(),
        "max_rows_per_query": "1000",
        "max_rows_per_day": "100000",
        "city_wide": False,
        "note": "",
        "reason": "",
    }


def _application_page(
    request: Request,
    session: Session,
    principal: Principal,
    application_id: int,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    application = applications.get_application(session, application_id)
    if not applications.can_see_application(principal, application):
        raise Forbidden("This application is not your unit's.", "该申请不属于本单位。")
    resources = _Resources(session)
    names = _unit_names(session, [application.consumer_unit_id, application.provider_unit_id])
    view = resources.view(application.resource_id)
    sensitive = {f for f, i in (view.items.items() if view else ()) if i.sensitivity in MASKED}
    grant = session.scalar(select(Grant).where(Grant.application_id == application.id))
    pending = application.status == Status.PENDING
    return render(
        request,
        "exchange_application.html",
        page_title=f"共享申请 #{application.id}",
        flash=flash,
        status_code=status_code,
        v=_application_view(load_calendar(session), application, names, resources, china_today()),
        applicant=identity.get_account(session, application.applicant_id).display_name,
        sensitive=sensitive,
        grant=grant,
        grant_items=resources.items(grant.resource_id, grant.items) if grant else [],
        grant_clear=resources.items(grant.resource_id, grant.clear_items) if grant else [],
        may_decide=pending and _may_decide(principal, application),
        may_withdraw=pending and application.applicant_id == principal.account_id,
        form=form or _approval_defaults(application),
    )


@router.get("/exchange/applications/{application_id}", response_class=HTMLResponse)
def application_detail(
    request: Request,
    application_id: IdPath,
    principal: Applying,
    session: SessionDep,
    msg: Message = None,
) -> HTMLResponse:
    return _application_page(request, session, principal, application_id, _flash(msg))


@router.post("/exchange/applications/{application_id}/approve", response_class=HTMLResponse)
def approve_application(
    request: Request,
    application_id: IdPath,
    principal: Reviewing,
    session: SessionDep,
    form: PostedForm,
) -> Response:
    values: dict[str, Any] = {
        "items": _list(form, "items"),
        "clear_items": _list(form, "clear_items"),
        "valid_until": _text(form, "valid_until", 20),
        "max_rows_per_query": _text(form, "max_rows_per_query", 20),
        "max_rows_per_day": _text(form, "max_rows_per_day", 20),
        "city_wide": form.get("city_wide") == "on",
        "note": _text(form, "note", 1000),
        "reason": "",
    }
    try:
        approval = applications.Approval(
            items=values["items"],
            valid_until=_date(form, "valid_until", "授权有效期"),
            clear_items=values["clear_items"],
            max_rows_per_query=_int(form, "max_rows_per_query", "单次调用行数上限", 1, 100_000_000),
            max_rows_per_day=_int(form, "max_rows_per_day", "每日行数上限", 1, 1_000_000_000),
            city_wide=values["city_wide"],
            note=values["note"],
        )
        applications.approve(session, principal, application_id, approval)
    except Problem as problem:
        session.rollback()
        return _application_page(
            request, session, principal, application_id, _error(problem), problem.status, values
        )
    return redirect(f"/exchange/applications/{application_id}?msg=approved")


@router.post("/exchange/applications/{application_id}/reject", response_class=HTMLResponse)
def reject_application(
    request: Request,
    application_id: IdPath,
    principal: Reviewing,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        applications.reject(session, principal, application_id, reason)
    except Problem as problem:
        session.rollback()
        application = applications.get_application(session, application_id)
        form = {**_approval_defaults(application), "reason": reason}
        return _application_page(
            request, session, principal, application_id, _error(problem), problem.status, form
        )
    return redirect(f"/exchange/applications/{application_id}?msg=rejected")


@router.post("/exchange/applications/{application_id}/withdraw", response_class=HTMLResponse)
def withdraw_application(
    request: Request, application_id: IdPath, principal: Applying, session: SessionDep
) -> Response:
    try:
        applications.withdraw(session, principal, application_id)
    except Problem as problem:
        session.rollback()
        return _application_page(
            request, session, principal, application_id, _error(problem), problem.status
        )
    return redirect(f"/exchange/applications/{application_id}?msg=withdrawn")


def _apply_page(
    request: Request,
    session: Session,
    principal: Principal,
    resource_id: int | None,
    form: dict[str, Any] | None = None,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = catalog.published_view(session, resource_id) if resource_id else None
    own = bool(view and view.provider_unit_id == principal.unit_id)
    if flash is None and view is not None:
        if own:
            flash = {"kind": "info", "text": "本单位即为该资源的提供方，可直接调用，无需申请。"}
        elif view.share_type == ShareType.NONE:
            flash = {"kind": "warning", "text": f"“{view.name}”为不予共享资源，不能申请。"}
        elif view.share_type == ShareType.UNCONDITIONAL:
            flash = {
                "kind": "info",
                "text": "无条件共享的信息项可直接调用，只有标为“有条件共享”的信息项需要申请。",
            }
    default_until = china_today() + timedelta(days=365)
    return render(
        request,
        "exchange_apply.html",
        page_title="申请共享",
        flash=flash,
        status_code=status_code,
        resource=view,
        provider=_unit_names(session, [view.provider_unit_id]).get(view.provider_unit_id, "")
        if view
        else "",
        items=_item_choices(view, own=False) if view else [],
        can_apply=bool(view and not own and view.share_type != ShareType.NONE),
        choices=[] if view else _queryable(session),
        form=form
        or {
            "items": [],
            "purpose": "",
            "basis": "",
            "valid_until": default_until.isoformat(),
            "expected_daily_rows": "1000",
            # generated with the form: submitting it twice submits one application
            "idempotency_key": secrets.token_urlsafe(18),
        },
    )


@router.get("/exchange/apply", response_class=HTMLResponse)
def apply_form(
    request: Request, principal: Applying, session: SessionDep, resource_id: OptionalId = None
) -> HTMLResponse:
    return _apply_page(request, session, principal, resource_id)


@router.post("/exchange/apply", response_class=HTMLResponse)
def apply_submit(
    request: Request,
    principal: Applying,
    session: SessionDep,
    settings: SettingsDep,
    form: PostedForm,
) -> Response:
    values: dict[str, Any] = {
        "items": _list(form, "items"),
        "purpose": _text(form, "purpose", 500),
        "basis": _text(form, "basis", 1000),
        "valid_until": _text(form, "valid_until", 20),
        "expected_daily_rows": _text(form, "expected_daily_rows", 20),
        "idempotency_key": _text(form, "idempotency_key", 100) or secrets.token_urlsafe(18),
    }
    resource_id = _int(form, "resource_id", "申请的资源", 1, MAX_ID)
    try:
        draft = applications.ApplicationDraft(
            resource_id=resource_id,
            items=values["items"],
            purpose=values["purpose"],
            basis=values["basis"],
            valid_until=_date(form, "valid_until", "有效期"),
            expected_daily_rows=_int(form, "expected_daily_rows", "预计日调用量", 1, 100_000_000),
            idempotency_key=values["idempotency_key"],
        )
        today, days = china_today(), settings.review_working_days
        try:
            application, created = applications.apply(session, principal, draft, today, days)
        except IntegrityError:  # the same form, submitted twice at the same moment
            session.rollback()
            application, created = applications.apply(session, principal, draft, today, days)
    except Problem as problem:
        session.rollback()
        return _apply_page(
            request, session, principal, resource_id, values, _error(problem), problem.status
        )
    done = "submitted" if created else "duplicate"
    return redirect(f"/exchange/applications/{application.id}?msg={done}")


# -- 共享授权: grants ---------------------------------------------------------------------


def _grants_page(
    request: Request,
    session: Session,
    principal: Principal,
    resource_id: int | None,
    offset: int,
    limit: int,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows, total = applications.list_grants(session, principal, resource_id, offset, limit)
    resources = _Resources(session)
    today = china_today()
    coordinator = principal.can(Permission.EXCHANGE_COORDINATE)
    views: list[dict[str, Any]] = []
    for grant in rows:
        view = resources.view(grant.resource_id)
        provider = view.provider_unit_id if view else 0
        state = (
            "revoked" if grant.revoked_at else "expired" if grant.valid_until < today else "active"
        )
        views.append(
            {
                "g": grant,
                "resource": resources.name(grant.resource_id),
                "provider_id": provider,
                "items": resources.items(grant.resource_id, grant.items),
                "clear_names": resources.items(grant.resource_id, grant.clear_items),
                "state": state,
                "received": grant.consumer_unit_id == principal.unit_id,
                "granted": local_time(grant.granted_at, "%Y-%m-%d"),
                "revoked": local_time(grant.revoked_at, "%Y-%m-%d %H:%M"),
                "may_revoke": state != "revoked"
                and (
                    coordinator
                    or (
                        principal.can(Permission.EXCHANGE_REVIEW)
                        and principal.has_role(Role.DATA_ADMIN, provider)
                    )
                ),
            }
        )
    names = _unit_names(
        session, [g.consumer_unit_id for g in rows] + [v["provider_id"] for v in views]
    )
    return render(
        request,
        "exchange_grants.html",
        page_title="共享授权",
        flash=flash,
        status_code=status_code,
        rows=views,
        names=names,
        resource_id=resource_id,
        resource_name=resources.name(resource_id) if resource_id else "",
        pager=pager(
            "/exchange/grants", {"resource_id": str(resource_id or "")}, offset, limit, total
        ),
    )


@router.get("/exchange/grants", response_class=HTMLResponse)
def grants_page(
    request: Request,
    principal: Querying,
    session: SessionDep,
    page: PageDep,
    resource_id: OptionalId = None,
    msg: Message = None,
) -> HTMLResponse:
    return _grants_page(
        request, session, principal, resource_id, page.offset, page.limit, _flash(msg)
    )


@router.post("/exchange/grants/{grant_id}/revoke", response_class=HTMLResponse)
def revoke_grant(
    request: Request,
    grant_id: IdPath,
    principal: Reviewing,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        applications.revoke_grant(session, principal, grant_id, reason)
    except Problem as problem:
        session.rollback()
        return _grants_page(
            request, session, principal, None, 0, 50, _error(problem), problem.status
        )
    return redirect("/exchange/grants?msg=revoked")


# -- 数据调用: the query console ------------------------------------------------------------


def _basis(basis: str) -> dict[str, Any]:
    if basis.startswith("grant:"):
        return {"label": f"共享授权 #{basis[6:]}", "grant_id": int(basis[6:])}
    labels = {"unconditional": "无条件共享", "provider": "本单位自有数据"}
    return {"label": labels.get(basis, basis), "grant_id": None}


def _console(
    request: Request,
    session: Session,
    principal: Principal,
    resource_id: int | None,
    form: dict[str, Any] | None = None,
    result: dict[str, Any] | None = None,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = catalog.published_view(session, resource_id) if resource_id else None
    own = bool(view and view.provider_unit_id == principal.unit_id)
    items = _item_choices(view, own) if view else []
    binding = sources.binding_for(session, resource_id) if resource_id else None
    key = binding.key_field if binding and view and binding.key_field in view.items else None
    if form is None:  # start with what the unit may read without a grant
        ticked = [i["field"] for i in items if not i["closed"]]
        if not own:
            ticked = [i["field"] for i in items if i["share_type"] == "unconditional"]
        form = {"items": ticked, "key_value": "", "purpose": "", "limit": "20"}
    return render(
        request,
        "exchange_query.html",
        page_title="数据调用",
        flash=flash,
        status_code=status_code,
        choices=_queryable(session),
        resource=view,
        own=own,
        bound=binding is not None,
        provider=_unit_names(session, [view.provider_unit_id]).get(view.provider_unit_id, "")
        if view
        else "",
        items=items,
        key=view.items[key] if view and key else None,
        form=form,
        result=result,
        max_rows=CONSOLE_MAX_ROWS,
    )


@router.get("/exchange/query", response_class=HTMLResponse)
def query_console(
    request: Request, principal: Querying, session: SessionDep, resource_id: OptionalId = None
) -> HTMLResponse:
    return _console(request, session, principal, resource_id)


def _csv(
    request: Request, session: Session, settings: SettingsDep, prepared: gateway.PreparedQuery
) -> StreamingResponse:
    """The same query as a CSV download, streamed; ledgered as an export when it ends."""
    view = catalog.published_view(session, prepared.request.resource_id)
    header = [view.items[f].name if f in view.items else f for f in prepared.request.items]
    started = gateway.open_batches(session, prepared)
    session.commit()  # the stream outlives this request's unit of work
    batches = gateway.stream_export(get_database(request), _key(settings), prepared, started)
    return StreamingResponse(
        csv_stream(header, batches),
        media_type=MEDIA_TYPES[OutputFormat.CSV],
        headers={
            "Content-Disposition": (
                f'attachment; filename="resource-{prepared.request.resource_id}.csv"'
            ),
            "Cache-Control": "no-store",
        },
    )


def _result(page: gateway.QueryPage, view: catalog.PublishedResource) -> dict[str, Any]:
    columns = [
        {
            "field": f,
            "name": view.items[f].name if f in view.items else f,
            "mask": page.masked.get(f),
        }
        for f in page.items
    ]
    return {
        "columns": columns,
        "rows": [
            [
                {"value": value, "masked": column["mask"] is not None}
                for value, column in zip(row, columns, strict=True)
            ]
            for row in page.rows
        ],
        "basis": _basis(page.basis),
        "ledger_seq": page.ledger_seq,
        "next_cursor": page.next_cursor,
    }


@router.post("/exchange/query", response_class=HTMLResponse)
def run_query(
    request: Request,
    principal: Querying,
    session: SessionDep,
    settings: SettingsDep,
    form: PostedForm,
) -> Response:
    values: dict[str, Any] = {
        "items": _list(form, "items"),
        "key_value": _text(form, "key_value", 200),
        "purpose": _text(form, "purpose", 500),
        "limit": _text(form, "limit", 10) or "20",
        "after": _text(form, "after", 2000),
    }
    resource_id = _int(form, "resource_id", "调用的资源", 1, MAX_ID)
    as_csv = form.get("format") == "csv"
    try:
        limit = _int(form, "limit", "返回行数", 1, CONSOLE_MAX_ROWS)
        binding = sources.binding_for(session, resource_id)
        filters = []
        if values["key_value"] and binding is not None and binding.key_field:
            filters = [Filter(binding.key_field, "eq", values["key_value"])]
            if binding.key_field not in values["items"]:
                values["items"].insert(0, binding.key_field)  # filters need their item read
        query = gateway.QueryRequest(
            resource_id=resource_id,
            items=values["items"],
            purpose=values["purpose"],
            filters=filters,
            limit=limit,
            after=values["after"] or None,
            format=OutputFormat.CSV if as_csv else OutputFormat.JSON,
        )
        prepared = gateway.prepare(session, _key(settings), principal, query, china_today())
        if as_csv:
            return _csv(request, session, settings, prepared)
        page = gateway.run_page(session, _key(settings), prepared)
    except Problem as problem:
        session.rollback()
        return _console(
            request, session, principal, resource_id, values, None, _error(problem), problem.status
        )
    view = catalog.published_view(session, resource_id)
    return _console(request, session, principal, resource_id, values, _result(page, view))


# -- 访问日志, 谁查看了我的数据, 共享统计 ---------------------------------------------------------


@router.get("/exchange/resources/{resource_id}/access-log", response_class=HTMLResponse)
def access_log(
    request: Request,
    resource_id: IdPath,
    principal: Annotated[Principal, Allowed(Permission.CATALOG_READ)],
    session: SessionDep,
    page: PageDep,
) -> HTMLResponse:
    view = catalog.published_view(session, resource_id)
    if not (
        principal.can(Permission.EXCHANGE_AUDIT)
        or principal.has_role(Role.DATA_ADMIN, view.provider_unit_id)
    ):
        raise Forbidden(
            "Only the provider's data admins and auditors read a resource's access log.",
            "只有资源提供单位的数据管理员和审计人员可以查看访问日志。",
        )
    entries, total = list_entries(
        session,
        LedgerQuery(activity="exchange.", case_id=f"resource:{resource_id}"),
        page.offset,
        page.limit,
    )
    names = _unit_names(session, [e.unit_id for e in entries] + [view.provider_unit_id])
    resources = _Resources(session)
    rows = [
        {
            "e": e,
            "time": local_time(e.occurred_at),
            "unit": names.get(e.unit_id or 0, ""),
            "items": resources.items(resource_id, [str(i) for i in e.attrs.get("items", [])]),
            "masked": len(e.attrs.get("masked", [])),
            "basis": _basis(str(e.attrs.get("basis", ""))) if e.attrs.get("basis") else None,
        }
        for e in entries
    ]
    return render(
        request,
        "exchange_access_log.html",
        page_title=f"访问日志：{view.name}",
        resource=view,
        provider=names.get(view.provider_unit_id, ""),
        rows=rows,
        pager=pager(
            f"/exchange/resources/{resource_id}/access-log", {}, page.offset, page.limit, total
        ),
    )


@router.get("/exchange/my-access", response_class=HTMLResponse)
def my_access(
    request: Request,
    principal: Caller,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
) -> HTMLResponse:
    if principal.kind != AccountKind.PERSON:
        return render(
            request,
            "exchange_my_access.html",
            page_title="谁查看了我的数据",
            status_code=403,
            flash={
                "kind": "warning",
                "text": "只有以身份证号注册的自然人账号可以查询谁查看了本人的数据；"
                "工作人员和法人账号没有可供查询的个人记录。",
            },
            person=False,
            rows=[],
            pager=None,
        )
    records, total = access.accesses_to(
        session, _key(settings), principal.username, page.offset, page.limit
    )
    names = _unit_names(session, [r.unit_id for r in records])
    resources = _Resources(session)
    rows = [
        {
            "r": r,
            "time": local_time(r.occurred_at, "%Y-%m-%d %H:%M"),
            "unit": names.get(r.unit_id or 0, "（单位不详）"),
            "resource": resources.name(r.resource_id),
            "items": resources.items(r.resource_id, r.items),
            "exported": r.activity == "exchange.exported",
        }
        for r in records
    ]
    return render(
        request,
        "exchange_my_access.html",
        page_title="谁查看了我的数据",
        person=True,
        rows=rows,
        pager=pager("/exchange/my-access", {}, page.offset, page.limit, total),
    )


@router.get("/exchange/statistics", response_class=HTMLResponse)
def statistics(
    request: Request,
    principal: Annotated[Principal, Allowed(Permission.DASHBOARD_READ)],
    session: SessionDep,
    page: PageDep,
) -> HTMLResponse:
    stats = access.sharing_statistics(session, utcnow() - timedelta(days=STATS_DAYS))
    names = _unit_names(session, [s.unit_id for s in stats])
    rows: list[dict[str, Any]] = [
        {
            "unit_id": s.unit_id,
            "name": names.get(s.unit_id, f"单位 {s.unit_id}"),
            "queries": s.queries,
            "rows": s.rows,
            "refused": s.refused,
            "refused_pct": round(100 * s.refused / (s.queries + s.refused), 1)
            if s.queries + s.refused
            else 0.0,
        }
        for s in stats
    ]
    totals = {k: sum(int(r[k]) for r in rows) for k in ("queries", "rows", "refused")}
    chart = [{k: r[k] for k in ("name", "queries", "refused", "rows")} for r in rows[:CHART_UNITS]]
    return render(
        request,
        "exchange_statistics.html",
        page_title="共享统计",
        days=STATS_DAYS,
        totals=totals,
        units=len(rows),
        chart={"units": chart},
        rows=rows[page.offset : page.offset + page.limit],
        pager=pager("/exchange/statistics", {}, page.offset, page.limit, len(rows)),
    )
