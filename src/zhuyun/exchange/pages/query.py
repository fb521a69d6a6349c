"""数据调用: the query console over the governed gateway, with CSV download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.core.calendar import china_today
from zhuyun.core.errors import Problem
from zhuyun.exchange.connectors import Filter
from zhuyun.exchange.formats import MEDIA_TYPES, OutputFormat, csv_stream
from zhuyun.exchange.pages.common import (
    CONSOLE_MAX_ROWS,
    MAX_ID,
    OptionalId,
    Querying,
    basis_label,
    error_flash,
    form_int,
    form_list,
    form_text,
    item_choices,
    queryable_resources,
    secret_key_of,
)
from zhuyun.exchange.service import gateway, sources
from zhuyun.identity import service as identity
from zhuyun.identity.deps import SessionDep, SettingsDep, get_database
from zhuyun.identity.permissions import Principal
from zhuyun.web.rendering import (
    PostedForm,
    render,
)

router = APIRouter(include_in_schema=False)


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
    items = item_choices(view, own) if view else []
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
        choices=queryable_resources(session),
        resource=view,
        own=own,
        bound=binding is not None,
        provider=identity.unit_names(session, [view.provider_unit_id]).get(
            view.provider_unit_id, ""
        )
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
    started = gateway.open_export(session, prepared)
    session.commit()  # the stream outlives this request's unit of work
    batches = gateway.stream_export(
        get_database(request), secret_key_of(settings), prepared, started
    )
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
        "basis": basis_label(page.basis),
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
        "items": form_list(form, "items"),
        "key_value": form_text(form, "key_value", 200),
        "purpose": form_text(form, "purpose", 500),
        "limit": form_text(form, "limit", 10) or "20",
        "after": form_text(form, "after", 2000),
    }
    resource_id = form_int(form, "resource_id", "调用的资源", 1, MAX_ID)
    as_csv = form.get("format") == "csv"
    try:
        limit = form_int(form, "limit", "返回行数", 1, CONSOLE_MAX_ROWS)
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
        prepared = gateway.prepare(
            session, secret_key_of(settings), principal, query, china_today()
        )
        if as_csv:
            return _csv(request, session, settings, prepared)
        page = gateway.run_page(session, secret_key_of(settings), prepared)
    except Problem as problem:
        session.rollback()
        return _console(
            request,
            session,
            principal,
            resource_id,
            values,
            None,
            error_flash(problem),
            problem.status,
        )
    view = catalog.published_view(session, resource_id)
    return _console(request, session, principal, resource_id, values, _result(page, view))


# -- 访问日志, 谁查看了我的数据, 共享统计 ---------------------------------------------------------
