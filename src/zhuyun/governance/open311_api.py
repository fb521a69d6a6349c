"""The Open311 GeoReport v2 API (wiki.open311.org/GeoReport_v2) over work orders.

`/open311/v2/` serves service discovery, `services`, service definitions, `requests` (GET
with its filters, POST with an api_key), `requests/{service_request_id}` and
`tokens/{token_id}`, each in JSON and XML by the path's suffix. Errors take the spec's
shape — a list of `{code, description}` (`<errors><error>…` in XML) — with the HTTP status
as code (400 bad input, 403 a wrong or missing api_key, 404 unknown ids or codes), and change
nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Header, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import Problem
from zhuyun.core.ledger import Actor
from zhuyun.governance.service import categories, intake, open311, sla, workflow
from zhuyun.governance.workorder_schemas import Open311KeyCreate, Open311KeyPublic
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Caller, SessionDep, SettingsDep, mark_guard

router = APIRouter(prefix="/open311", tags=["Open311 GeoReport v2"])

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-01-15T00:00:00Z"
MAX_REQUESTS = 1_000
MAX_RANGE = timedelta(days=90)
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
JURISDICTIONS = {"guiyang", "520100", "gy.gov.cn"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _xml_value(name: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml_value(k, v) for k, v in value.items())
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, list):
        child = {
            "attributes": "attribute",
            "values": "value",
            "endpoints": "endpoint",
            "formats": "format",
        }.get(name, "item")
        return f"<{name}>{''.join(_xml_value(child, v) for v in value)}</{name}>"
    if value is None:
        return f"<{name}/>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(str(value))}</{name}>"


def to_xml(root: str, item: str | None, data: Any) -> str:
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    if item is None:
        return head + _xml_value(root, data)
    return head + f"<{root}>" + "".join(_xml_value(item, d) for d in data) + f"</{root}>"


def _render(fmt: str, data: Any, root: str, item: str | None, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, data), status_code=status, media_type=FORMATS["xml"])
    body = json.dumps(data, ensure_ascii=False)
    return Response(body, status_code=status, media_type=FORMATS["json"])


def _error(fmt: str, status: int, description: str) -> Response:
    errors = [{"code": status, "description": description}]
    return _render(fmt if fmt in FORMATS else "json", errors, "errors", "error", status)


def _answer(
    session: Session, fmt: str, jurisdiction: str | None, build: Callable[[], Response]
) -> Response:
    """Run `build` and answer errors in the spec's format, rolling back any change."""
    if fmt not in FORMATS:
        return _error("json", 404, f"Unknown format {fmt!r}: use .json or .xml")
    try:
        if jurisdiction is not None and jurisdiction not in JURISDICTIONS:
            raise Open311Error(404, f"jurisdiction_id {jurisdiction!r} is not served here")
        return build()
    except Open311Error as exc:
        session.rollback()
        return _error(fmt, exc.status, exc.description)
    except Problem as problem:
        session.rollback()
        status = 403 if problem.status in (401, 403) else 404 if problem.status == 404 else 400
        return _error(fmt, status, f"{problem.message_en} {problem.message_zh}")


def _anyone() -> None:
    """Open311 is public and ignores sign-in: an app's Authorization header (meant for
    someone else) neither admits nor refuses; POST requests checks its api_key itself."""
    return None


Anyone = Annotated[None, Depends(mark_guard(_anyone, "public"))]
Jurisdiction = Annotated[str | None, Depends(lambda jurisdiction_id=None: jurisdiction_id)]


def _discovery(request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + "/open311/v2"
    return {
        "changeset": CHANGESET,
        "contact": "贵阳市12345政务服务便民热线 12345",
        "key_service": str(request.base_url).rstrip("/") + "/api/governance/open311/keys",
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


@router.get("/discovery.{fmt}", summary="Service discovery")
@router.get("/v2/discovery.{fmt}", summary="Service discovery")
def discovery(fmt: str, request: Request, caller: Anyone, session: SessionDep) -> Response:
    return _answer(session, fmt, None, lambda: _render(fmt, _discovery(request), "discovery", None))


@router.get("/v2/services.{fmt}", summary="GET services")
def services(fmt: str, caller: Anyone, session: SessionDep, jid: Jurisdiction) -> Response:
    return _answer(
        session, fmt, jid, lambda: _render(fmt, open311.service_list(), "services", "service")
    )


@router.get("/v2/services/{service_code}.{fmt}", summary="GET service definition")
def service_definition(
    service_code: str, fmt: str, caller: Anyone, session: SessionDep, jid: Jurisdiction
) -> Response:
    def build() -> Response:
        if service_code not in categories.BY_CODE:
            raise Open311Error(404, f"service_code {service_code!r} not found")
        definition = open311.service_definition(service_code)
        return _render(fmt, definition, "service_definition", None)

    return _answer(session, fmt, jid, build)


def _parse_time(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Open311Error(400, f"{name} is not a w3 datetime (2010-01-01T00:00:00Z)") from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} needs a timezone (Z or ±HH:MM)")
    return parsed


def _views(session: Session, orders: Any) -> list[dict[str, Any]]:
    names = identity.unit_names(session, [o.unit_id for o in orders])
    return [
        open311.request_view(
            o,
            names.get(o.unit_id) if o.unit_id else None,
            workflow.STATUS_LABELS_ZH.get(o.status, o.status),
        )
        for o in orders
    ]


@router.get("/v2/requests.{fmt}", summary="GET service requests")
def get_requests(
    fmt: str, request: Request, caller: Anyone, session: SessionDep, jid: Jurisdiction
) -> Response:
    params = request.query_params

    def build() -> Response:
        def listed(name: str) -> list[str] | None:
            raw = params.get(name)
            return [p.strip() for p in raw.split(",") if p.strip()] if raw else None

        numbers = listed("service_request_id")
        codes = listed("service_code")
        for code in codes or ():
            if code not in categories.BY_CODE:
                raise Open311Error(404, f"service_code {code!r} not found")
        statuses = listed("status")
        if statuses and not set(statuses) <= {open311.OPEN, open311.CLOSED}:
            raise Open311Error(400, "status is open or closed")
        start = _parse_time("start_date", params.get("start_date"))
        end = _parse_time("end_date", params.get("end_date"))
        if not numbers:
            if start is None and end is None:
                end = utcnow()
            if start is None and end is not None:
                start = end - MAX_RANGE
            if end is None and start is not None:
                end = start + MAX_RANGE
            if start is not None and end is not None and (end - start > MAX_RANGE or end < start):
                raise Open311Error(400, "start_date to end_date spans at most 90 days")
        orders = open311.search(session, numbers, codes, start, end, statuses, MAX_REQUESTS)
        return _render(fmt, _views(session, orders), "service_requests", "request")

    return _answer(session, fmt, jid, build)


@router.get("/v2/requests/{service_request_id}.{fmt}", summary="GET service request")
def get_request(
    service_request_id: str,
    fmt: str,
    caller: Anyone,
    session: SessionDep,
    jid: Jurisdiction,
) -> Response:
    def build() -> Response:
        order = open311.find_by_number(session, service_request_id)
        if order is None:
            raise Open311Error(404, f"service_request_id {service_request_id!r} not found")
        return _render(fmt, _views(session, [order]), "service_requests", "request")

    return _answer(session, fmt, jid, build)


@router.get("/v2/tokens/{token_id}.{fmt}", summary="GET service_request_id from a token")
def get_token(
    token_id: str, fmt: str, caller: Anyone, session: SessionDep, jid: Jurisdiction
) -> Response:
    def build() -> Response:
        order = open311.find_by_token(session, token_id)
        if order is None:
            raise Open311Error(404, f"token {token_id!r} not found")
        data = [{"service_request_id": order.number, "token": order.token}]
        return _render(fmt, data, "service_requests", "request")

    return _answer(session, fmt, jid, build)


async def _posted(request: Request) -> Any:
    """The posted form; a body that is not a form reads as an empty one (→ the spec's 400 or
    403 naming what is missing), never as a platform error page."""
    try:
        return await request.form()
    except Exception:  # malformed multipart or urlencoded bodies
        from starlette.datastructures import FormData

        return FormData()


PostedForm = Annotated[Any, Depends(_posted)]


def _float(form: Any, name: str) -> float | None:
    raw = form.get(name)
    if raw in (None, ""):
        return None
    try:
        return float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} is not a number") from None


@router.post("/v2/requests.{fmt}", summary="POST service request (api_key)")
def post_request(
    fmt: str,
    form: PostedForm,
    caller: Anyone,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    def build() -> Response:
        raw_key = str(form.get("api_key") or "")
        if not raw_key:
            raise Open311Error(403, "api_key missing -- can't proceed with create_request")
        key = open311.resolve_key(session, settings.secret_key.get_secret_value(), raw_key)
        if key is None:
            raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request")
        code = str(form.get("service_code") or "")
        if not code:
            raise Open311Error(400, "service_code missing")
        if code not in categories.BY_CODE:
            raise Open311Error(400, f"service_code {code!r} not found")
        given = {
            k[len("attribute[") : -1]: str(v)
            for k, v in form.multi_items()
            if k.startswith("attribute[") and k.endswith("]")
        }
        try:
            attributes = open311.check_attributes(code, given)
        except ValueError as exc:
            raise Open311Error(400, str(exc)) from None
        lat, lng = _float(form, "lat"), _float(form, "long")
        address = str(form.get("address_string") or "") or None
        if (lat is None or lng is None) and not address:
            raise Open311Error(400, "location missing: lat and long, or address_string")
        description = str(form.get("description") or "")
        if not description.strip():
            raise Open311Error(400, "description missing")
        name = " ".join(str(form.get(n) or "") for n in ("last_name", "first_name")).strip()
        media = str(form.get("media_url") or "")
        draft = intake.Draft(
            channel="open311",
            text=description,
            lng=lng,
            lat=lat,
            address=address,
            category=code,
            urgency=attributes.get("urgency"),
            caller_name=name or None,
            caller_phone=str(form.get("phone") or "") or None,
            service_code=code,
            attributes=attributes,
            photos=[{"url": media[:500]}] if media.startswith(("http://", "https://")) else [],
        )
        actor = Actor(id=key.account_id, name=f"Open311 {key.name}")
        taken = intake.submit(
            session,
            actor,
            draft,
            reporter_id=key.account_id,
            idempotency=(f"o311:{key.id}", idempotency_key) if idempotency_key else None,
        )
        order = taken.order
        notice = (
            f"已受理，办理时限 {sla.sla_label(order.category, order.urgency)}"
            if order.status != "merged"
            else "与已有工单重复，已合并办理"
        )
        data = [
            {
                "service_request_id": order.number,
                "token": order.token,
                "service_notice": notice,
                "account_id": None,
            }
        ]
        return _render(fmt, data, "service_requests", "request", status=201)

    return _answer(session, fmt, None, build)


keys_router = APIRouter(prefix="/api/governance/open311/keys", tags=["Open311 GeoReport v2"])


def _key_public(key: Any, raw: str | None = None) -> Open311KeyPublic:
    return Open311KeyPublic(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
        key=raw,
    )


@keys_router.get("", response_model=list[Open311KeyPublic], summary="My Open311 api_keys")
def my_keys(principal: Caller, session: SessionDep) -> list[Open311KeyPublic]:
    return [_key_public(k) for k in open311.list_keys(session, principal)]


@keys_router.post(
    "",
    status_code=201,
    response_model=Open311KeyPublic,
    summary="Issue an Open311 api_key (shown once)",
)
def issue_key(
    body: Open311KeyCreate, principal: Caller, session: SessionDep, settings: SettingsDep
) -> Open311KeyPublic:
    raw, key = open311.create_key(
        session, settings.secret_key.get_secret_value(), principal, body.name
    )
    return _key_public(key, raw)


@keys_router.delete("/{key_id}", response_model=Open311KeyPublic, summary="Revoke an api_key")
def revoke_key(
    key_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)], principal: Caller, session: SessionDep
) -> Open311KeyPublic:
    return _key_public(open311.revoke_key(session, principal, key_id))


async def fallback(scope: Any, receive: Any, send: Any) -> None:
    """Mounted at /open311 after the routes: any other path or method there is a 404 in the
    spec's error format (not an HTML page, not a redirect)."""
    path = scope.get("path", "")
    response = _error(
        "xml" if path.endswith(".xml") else "json",
        404,
        "No such Open311 resource: see /open311/discovery.json",
    )
    await response(scope, receive, send)
