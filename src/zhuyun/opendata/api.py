"""CKAN's Action API at `/api/3/action/{action}` and `/api/action/{action}`, GET and POST,
with CKAN's envelope (`help`, `success`, `result`) and error shapes, so CKAN clients work
unchanged. Read-only and public: it shows only what the government opens."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from zhuyun.core.db import Database
from zhuyun.core.errors import Problem
from zhuyun.identity.deps import SessionDep, get_database, get_settings_dep
from zhuyun.opendata import datastore, datastore_sql, service
from zhuyun.opendata.service import NotFound, SearchQuery, ValidationError
from zhuyun.opendata.visitors import OpenVisitor, Visitor

router = APIRouter(tags=["open data 开放数据 (CKAN API)"])

Params = dict[str, Any]
MAX_ROWS = 1_000
# Any name: an unknown one gets CKAN's "Not found", not a validation error of ours.
ActionName = Annotated[str, PathParam()]


@dataclass(frozen=True)
class Call:
    """One action call: its parameters and what the action may need to answer it."""

    session: Session
    params: Params
    base: str
    visitor: OpenVisitor
    secret_key: str
    database: Database


def _int(params: Params, name: str, default: int, high: int) -> int:
    raw = params.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"须为整数 / must be an integer: {raw!r}"[:200]]}) from None
    if value < 0:
        raise ValidationError({name: ["须为非负整数 / must be a non-negative integer"]})
    return min(value, high)


def _text(params: Params, name: str, required: bool = False) -> str:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise ValidationError({name: ["缺少必填参数 / Missing value"]})
        return ""
    if not isinstance(value, str | int):
        raise ValidationError({name: ["须为文本 / must be a string"]})
    return str(value)[:1000]


def _bool(params: Params, name: str) -> bool:
    return str(params.get(name, "")).lower() in ("true", "1", "yes")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _status_show(call: Call) -> Any:
    return {
        "ckan_version": service.CKAN_VERSION,
        "site_title": "筑云开放数据 · 贵阳市",
        "site_description": "贵阳市政务数据开放平台（筑云）",
        "site_url": call.base,
        "locale_default": "zh_Hans_CN",
        "extensions": ["zhuyun"],
    }


def _package_list(call: Call) -> Any:
    limit = _int(call.params, "limit", service.MAX_DATASETS, service.MAX_DATASETS)
    return service.package_names(call.session, _int(call.params, "offset", 0, 10**6), limit)


def _package_show(call: Call) -> Any:
    version = service.find_dataset(call.session, _text(call.params, "id", True))
    return service.package_dict(version, call.base, service.bound_ids(call.session))


def _current_with_resources(call: Call) -> Any:
    offset = _int(call.params, "offset", 0, 10**6)
    limit = _int(call.params, "limit", service.MAX_DATASETS, service.MAX_DATASETS)
    names = service.package_names(call.session, offset, limit)
    bound = service.bound_ids(call.session)
    return [
        service.package_dict(service.find_dataset(call.session, n), call.base, bound) for n in names
    ]


def _facet_fields(params: Params) -> list[str]:
    raw = params.get("facet.field")
    if raw in (None, ""):
        return []
    fields = json.loads(raw) if isinstance(raw, str) and raw.startswith("[") else raw
    if isinstance(fields, str):
        fields = [fields]
    if not isinstance(fields, list) or not all(f in service.FACET_FIELDS for f in fields):
        raise ValidationError(
            {"facet.field": [f"可用分面 / facets: {', '.join(service.FACET_FIELDS)}"]}
        )
    return fields


def _package_search(call: Call) -> Any:
    params = call.params
    try:
        query = SearchQuery(
            q=_text(params, "q"),
            fq=service.parse_fq(_text(params, "fq")),
            rows=_int(params, "rows", 10, MAX_ROWS),
            start=_int(params, "start", 0, 10**6),
            sort=_text(params, "sort") or "score desc, metadata_modified desc",
            facet_fields=_facet_fields(params),
            facet_limit=_int(params, "facet.limit", 50, 1000),
        )
    except json.JSONDecodeError as exc:
        raise ValidationError({"facet.field": ["不是 JSON 列表 / not a JSON list"]}) from exc
    return service.package_search(call.session, query, call.base)


def _organization_list(call: Call) -> Any:
    orgs = service.organizations(call.session)
    return orgs if _bool(call.params, "all_fields") else [o["name"] for o in orgs]


def _organization_show(call: Call) -> Any:
    org = service.organization(call.session, _text(call.params, "id", True), call.base)
    if not _bool(call.params, "include_datasets"):
        org.pop("packages")
    return org


def _group_list(call: Call) -> Any:
    found = service.groups(call.session)
    return found if _bool(call.params, "all_fields") else [g["name"] for g in found]


def _group_show(call: Call) -> Any:
    wanted = _text(call.params, "id", True)
    for group in service.groups(call.session):
        if wanted in (group["id"], group["name"]):
            return group
    raise NotFound(wanted)


def _tag_list(call: Call) -> Any:
    return service.tags(call.session)


def _resource_show(call: Call) -> Any:
    version = service.find_resource(call.session, _text(call.params, "id", True))
    return service.resource_dict(version, call.base, service.bound_ids(call.session))


def _datastore_search(call: Call) -> Any:
    return datastore.search(call.session, call.secret_key, call.visitor, call.params)


def _datastore_search_sql(call: Call) -> Any:
    sql = call.params.get("sql")
    return datastore_sql.search_sql(call.session, call.database, call.secret_key, call.visitor, sql)


ACTIONS: dict[str, Callable[[Call], Any]] = {
    "status_show": _status_show,
    "site_read": lambda call: True,
    "package_list": _package_list,
    "package_show": _package_show,
    "package_search": _package_search,
    "current_package_list_with_resources": _current_with_resources,
    "organization_list": _organization_list,
    "organization_show": _organization_show,
    "group_list": _group_list,
    "group_show": _group_show,
    "tag_list": _tag_list,
    "resource_show": _resource_show,
    "datastore_search": _datastore_search,
    "datastore_search_sql": _datastore_search_sql,
}

# CKAN's error type for each status a platform problem may carry
_PROBLEM_TYPES = {
    401: "Authorization Error",
    403: "Authorization Error",
    404: "Not Found Error",
    429: "Rate Limit Error",
    503: "Service Unavailable",
}


def _envelope(base: str, action: str, status: int, **body: Any) -> JSONResponse:
    return JSONResponse(
        {"help": f"{base}/api/3/action/help_show?name={action}", **body}, status_code=status
    )


@dataclass(frozen=True)
class ActionInput:
    """The action's parameters (query string, and a JSON body on POST) or why they are bad."""

    params: Params
    error: ValidationError | None = None


async def _action_input(request: Request) -> ActionInput:
    """Read before the (synchronous) action runs in the thread pool: no database work ever
    happens on the event loop."""
    params: Params = dict(request.query_params)
    if request.method == "POST":
        raw = await request.body()
        if raw.strip():
            try:
                posted = json.loads(raw)
            except ValueError:
                posted = None
            if not isinstance(posted, dict):
                bad = ValidationError(
                    {"body": ["请求体须为 JSON 对象 / the body must be a JSON object"]}
                )
                return ActionInput(params, bad)
            params.update(posted)
    return ActionInput(params)


Input = Annotated[ActionInput, Depends(_action_input)]


def _action(
    request: Request, action: str, session: Session, given: ActionInput, visitor: OpenVisitor
) -> JSONResponse:
    base = _base(request)
    handler = ACTIONS.get(action)
    try:
        if handler is None:
            raise NotFound(action)
        if given.error is not None:
            raise given.error
        call = Call(
            session=session,
            params=given.params,
            base=base,
            visitor=visitor,
            secret_key=get_settings_dep(request).secret_key.get_secret_value(),
            database=get_database(request),
        )
        result = handler(call)
    except NotFound:
        missing = {"__type": "Not Found Error", "message": "Not found"}
        return _envelope(base, action, 404, success=False, error=missing)
    except ValidationError as invalid:
        error: dict[str, Any] = {"__type": "Validation Error", **invalid.errors}
        return _envelope(base, action, 409, success=False, error=error)
    except Problem as problem:
        return _problem(base, action, problem)
    return _envelope(base, action, 200, success=True, result=result)


def _problem(base: str, action: str, problem: Problem) -> JSONResponse:
    """A refusal of the gateway or a source's failure in CKAN's error shape: its status
    (a validation error is CKAN's 409), the message in both languages and its code."""
    message = f"{problem.message_zh} / {problem.message_en}"
    kind = _PROBLEM_TYPES.get(problem.status)
    if kind is None:
        error: dict[str, Any] = {"__type": "Validation Error", problem.code: [message]}
        return _envelope(base, action, 409, success=False, error=error)
    response = _envelope(
        base,
        action,
        problem.status,
        success=False,
        error={"__type": kind, "message": message, "code": problem.code},
    )
    response.headers.update(problem.headers)
    return response


@router.get("/api/3/action/{action}", summary="CKAN Action API (GET) / CKAN 兼容接口")
def action_get_v3(
    request: Request, action: ActionName, session: SessionDep, given: Input, visitor: Visitor
) -> JSONResponse:
    return _action(request, action, session, given, visitor)


@router.post("/api/3/action/{action}", summary="CKAN Action API (POST) / CKAN 兼容接口")
def action_post_v3(
    request: Request, action: ActionName, session: SessionDep, given: Input, visitor: Visitor
) -> JSONResponse:
    return _action(request, action, session, given, visitor)


@router.get("/api/action/{action}", summary="CKAN Action API, unversioned (GET)")
def action_get(
    request: Request, action: ActionName, session: SessionDep, given: Input, visitor: Visitor
) -> JSONResponse:
    return _action(request, action, session, given, visitor)


@router.post("/api/action/{action}", summary="CKAN Action API, unversioned (POST)")
def action_post(
    request: Request, action: ActionName, session: SessionDep, given: Input, visitor: Visitor
) -> JSONResponse:
    return _action(request, action, session, given, visitor)
