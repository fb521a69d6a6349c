"""数据源: a unit's sources, checking them, their tables and drafting resources from them."""

from __future__ import annotations

from collections.abc import Sequence
from json import JSONDecodeError, loads
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.core.errors import Problem
from zhuyun.core.paging import PageDep
from zhuyun.exchange.connectors import SourceKind
from zhuyun.exchange.models import Binding
from zhuyun.exchange.pages.common import (
    MAX_ID,
    IdPath,
    Managing,
    Message,
    OptionalId,
    ResourceNames,
    bad_input,
    error_flash,
    flash_for,
    form_int,
    form_text,
    secret_key_of,
    source_scope,
)
from zhuyun.exchange.service import sources
from zhuyun.identity import service as identity
from zhuyun.identity.deps import SessionDep, SettingsDep
from zhuyun.identity.permissions import Principal
from zhuyun.web.rendering import (
    PostedForm,
    pager,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)


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
    unit_id = source_scope(principal)
    rows, total = sources.list_sources(session, unit_id, offset, limit)
    names = identity.unit_names(session, [s.unit_id for s in rows] + [principal.unit_id])
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
        raise bad_input("连接选项", '须为 JSON 对象，例如 {"schema": "share"}。')
    return value


@router.post("/exchange/sources", response_class=HTMLResponse)
def register_source(
    request: Request,
    principal: Managing,
    session: SessionDep,
    settings: SettingsDep,
    form: PostedForm,
) -> Response:
    values = {k: form_text(form, k) for k in ("name", "kind", "location", "options", "unit_id")}
    secret = form.get("secret")
    try:
        kinds = {k.value for k in SourceKind}
        if values["kind"] not in kinds:
            raise bad_input("数据源类型", "不在可选范围内。")
        if isinstance(secret, str) and len(secret) > 500:
            raise bad_input("密钥", "不能超过 500 个字符。")
        unit_id = principal.unit_id
        if source_scope(principal) is None and values["unit_id"]:
            unit_id = form_int(form, "unit_id", "所属单位", 1, MAX_ID)
        if unit_id is None:
            raise bad_input("所属单位", "不能为空。")
        draft = sources.SourceDraft(
            values["name"],
            SourceKind(values["kind"]),
            values["location"],
            _options(values["options"]),
            secret if isinstance(secret, str) and secret else None,
        )
        source = sources.register_source(
            session,
            principal,
            secret_key_of(settings),
            unit_id,
            draft,
            source_hosts=settings.source_host_list,
            source_dirs=settings.source_dir_list,
        )
    except Problem as problem:
        session.rollback()
        return _sources_page(
            request, session, principal, 0, 50, error_flash(problem), problem.status, values
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
        sources.check_source(session, principal, secret_key_of(settings), source_id)
    except Problem as problem:
        session.rollback()
        return _sources_page(
            request, session, principal, 0, 50, error_flash(problem), problem.status
        )
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
        tables = sources.source_tables(session, principal, secret_key_of(settings), source_id)
    except Problem as problem:
        tables_error = problem.message_zh
    bound: dict[str, list[dict[str, Any]]] = {}
    resources = ResourceNames(session)
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
            columns = sources.source_columns(
                session, principal, secret_key_of(settings), source_id, table
            )
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
        unit_name=identity.unit_names(session, [source.unit_id]).get(source.unit_id, ""),
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
    flash = flash_for(msg) or _checked_flash(session, checked)
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
    values = {k: form_text(form, k, 2000 if k == "summary" else 200) for k in fields}
    try:
        if not values["name"]:
            raise bad_input("资源名称", "不能为空。")
        draft = sources.BindingDraft(
            source_id,
            values["table_name"],
            values["key_field"] or None,
            values["subject_field"] or None,
            values["division_field"] or None,
        )
        resource_id, _ = sources.draft_resource(
            session, principal, secret_key_of(settings), draft, values["name"], values["summary"]
        )
    except Problem as problem:
        session.rollback()
        return _source_detail(
            request, session, settings, principal, source_id, values["table_name"] or None,
            flash=error_flash(problem), status_code=problem.status, draft=values,
        )  # fmt: skip
    return redirect(f"/catalog/{resource_id}?msg=created")


# -- 共享申请: applications -----------------------------------------------------------------
