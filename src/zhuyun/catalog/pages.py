"""Pages of the catalog: the browser with search and facets, a resource's detail with its
info items and versions, and for data admins the worklist, the draft editor and publishing."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from zhuyun.catalog import forms, service
from zhuyun.catalog.classification import CLASS_LABELS_ZH, ITEM_LABELS_ZH
from zhuyun.catalog.facets import FACET_TITLES_ZH, facet_counts
from zhuyun.catalog.schemas import ResourceDraft, ResourcePublic
from zhuyun.catalog.vocab import (
    BaseLibrary,
    OpenType,
    ResourceStatus,
    ShareType,
    vocabularies,
)
from zhuyun.core.errors import Problem
from zhuyun.core.paging import PageDep
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, SessionDep
from zhuyun.identity.permissions import Permission, Principal, Role
from zhuyun.web.rendering import (
    NavItem,
    PostedForm,
    pager,
    redirect,
    register_nav,
    render,
    templates,
)

router = APIRouter(include_in_schema=False)
register_nav(NavItem("资源目录", "/catalog", "catalog", Permission.CATALOG_READ, 100))
templates.env.globals["catalog_labels"] = {
    **vocabularies(),
    "class": CLASS_LABELS_ZH,
    "class_item": {
        f"{c}.{i}": label for c, items in ITEM_LABELS_ZH.items() for i, label in items.items()
    },
}

IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
Reader = Annotated[Principal, Allowed(Permission.CATALOG_READ)]
Manager = Annotated[Principal, Allowed(Permission.CATALOG_MANAGE)]
FLASHES = {
    "created": {"kind": "success", "text": "草稿已创建，可继续完善后发布。"},
    "saved": {"kind": "success", "text": "修改已保存。已发布的资源需重新发布后生效。"},
    "published": {"kind": "success", "text": "已发布，目录、检索和共享交换即刻使用新版本。"},
    "retired": {"kind": "warning", "text": "资源已撤销，不再出现在目录中；历史版本仍可查阅。"},
}
DONE = {"publish": "published", "retire": "retired"}
FACET_ORDER = ("share_type", "open_type", "base_library", "class_code", "provider_unit_id")
PROVIDER_CHIPS = 12


def _facet_groups(params: dict[str, str], result: service.SearchResult) -> list[dict[str, object]]:
    """Chips for every facet: choosing one keeps the other filters and starts at page one."""
    counts = facet_counts(result)
    groups = []
    for name in FACET_ORDER:
        others = {k: v for k, v in params.items() if k != name and v}
        options = [
            {
                "label": f.label,
                "count": f.count,
                "active": params.get(name) == f.value,
                "href": "/catalog?" + urlencode({**others, name: f.value}),
            }
            for f in counts.get(name, [])
        ]
        if name == "provider_unit_id" and len(options) > PROVIDER_CHIPS:
            options = [o for i, o in enumerate(options) if i < PROVIDER_CHIPS or o["active"]]
        groups.append(
            {
                "name": name,
                "title": FACET_TITLES_ZH[name],
                "options": options,
                "any_active": bool(params.get(name)),
                "all_href": "/catalog" + ("?" + urlencode(others) if others else ""),
            }
        )
    return groups


@router.get("/catalog", response_class=HTMLResponse)
def browse(
    request: Request,
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    q: Annotated[str, Query(max_length=100)] = "",
    share_type: Annotated[ShareType | None, Query()] = None,
    open_type: Annotated[OpenType | None, Query()] = None,
    base_library: Annotated[BaseLibrary | None, Query()] = None,
    provider_unit_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    class_code: Annotated[str | None, Query(pattern=r"^[1-3]$")] = None,
) -> HTMLResponse:
    params = {
        "q": q.strip(),
        "share_type": share_type.value if share_type else "",
        "open_type": open_type.value if open_type else "",
        "base_library": base_library.value if base_library else "",
        "provider_unit_id": str(provider_unit_id or ""),
        "class_code": class_code or "",
    }
    facets = service.Facets(
        share_type=params["share_type"] or None,
        open_type=params["open_type"] or None,
        base_library=params["base_library"] or None,
        provider_unit_id=provider_unit_id,
        class_code=class_code,
    )
    error = None
    try:
        result = service.search(session, q, facets, page.offset, page.limit)
    except Problem as problem:
        error = problem.message_zh
        result = service.search(session, "", facets, page.offset, page.limit)
    return render(
        request,
        "catalog.html",
        page_title="资源目录",
        status_code=422 if error else 200,
        flash={"kind": "error", "text": error} if error else None,
        q=params["q"],
        filters={k: v for k, v in params.items() if k != "q" and v},
        hits=[service.summary_of_hit(h) for h in result.hits],
        facet_groups=_facet_groups(params, result),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
        pager=pager("/catalog", dict(params), page.offset, page.limit, result.total),
    )


def _managed_units(session: SessionDep, principal: Principal) -> list[dict[str, object]]:
    """The units whose resources the principal may draft, for the provider select."""
    scoped = [s.unit_id for s in principal.roles if s.role == Role.DATA_ADMIN and s.unit_id]
    if principal.has_role(Role.PLATFORM_ADMIN) or any(
        s.role == Role.DATA_ADMIN and s.unit_id is None for s in principal.roles
    ):
        units, _ = identity.list_units(session, kind="department", limit=600)
        return [{"id": u.id, "name": u.name} for u in units]
    return [{"id": u, "name": identity.get_unit(session, u).name} for u in dict.fromkeys(scoped)]


def _editor(
    request: Request,
    session: SessionDep,
    principal: Principal,
    values: dict[str, object],
    resource: ResourcePublic | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    title = f"编辑：{resource.name}" if resource else "新建资源"
    return render(
        request,
        "catalog_editor.html",
        page_title=title,
        status_code=status_code,
        flash={"kind": "error", "text": "保存失败，请修改以下内容后重试。"} if errors else None,
        errors=errors or [],
        values=forms.editor_values(values),
        resource=resource,
        code_fixed=bool(resource and resource.version > 0),
        units=_managed_units(session, principal),
    )


@router.get("/catalog/worklist", response_class=HTMLResponse)
def worklist(
    request: Request,
    principal: Manager,
    session: SessionDep,
    page: PageDep,
    status: Annotated[ResourceStatus | None, Query()] = None,
    stale: Annotated[bool | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    unit_id = service.home_unit(principal)
    if unit_id is not None:
        service.ensure_may_manage(session, principal, unit_id, "list")
    rows, total = service.list_resources(
        session,
        provider_unit_id=unit_id,
        status=status,
        stale=stale,
        query=q,
        offset=page.offset,
        limit=page.limit,
    )
    names = identity.unit_names(session, (r.provider_unit_id for r in rows))
    return render(
        request,
        "catalog_worklist.html",
        page_title="编目工作台",
        rows=[(service.summary_of_resource(r, names[r.provider_unit_id]), r) for r in rows],
        status=status.value if status else "",
        stale=stale,
        q=q or "",
        unit_name=identity.get_unit(session, unit_id).name if unit_id else "全部单位",
        pager=pager(
            "/catalog/worklist",
            {
                "status": status.value if status else None,
                "q": q,
                "stale": "true" if stale else None,
            },
            page.offset,
            page.limit,
            total,
        ),
    )


@router.get("/catalog/new", response_class=HTMLResponse)
def new_resource(request: Request, principal: Manager, session: SessionDep) -> HTMLResponse:
    values: dict[str, object] = ResourceDraft.model_construct(
        provider_unit_id=service.home_unit(principal) or principal.unit_id or 0, name=""
    ).model_dump()
    return _editor(request, session, principal, values)


@router.post("/catalog/new", response_class=HTMLResponse)
def create_resource(
    request: Request, principal: Manager, session: SessionDep, form: PostedForm
) -> Response:
    submitted = forms.form_data(form)
    try:
        draft = forms.parse_draft(form)
    except ValidationError as exc:
        return _editor(
            request, session, principal, submitted, None, forms.validation_messages(exc), 422
        )
    service.ensure_may_manage(session, principal, draft.provider_unit_id, "draft")
    try:
        resource = service.create_draft(session, principal.as_actor(), draft)
    except Problem as problem:
        session.rollback()
        messages = forms.problem_messages(problem.errors) or [problem.message_zh]
        return _editor(request, session, principal, submitted, None, messages, problem.status)
    return redirect(f"/catalog/{resource.id}?msg=created")


def _detail(
    request: Request,
    session: SessionDep,
    principal: Principal,
    resource_id: int,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    resource = service.resource_public(session, principal, resource_id)
    versions, version_count = service.list_versions(session, resource_id, 0, 20)
    return render(
        request,
        "catalog_resource.html",
        page_title=resource.name,
        status_code=status_code,
        flash=flash,
        r=resource,
        can_manage=service.may_manage(principal, resource.provider_unit_id),
        versions=versions,
        version_count=version_count,
    )


@router.get("/catalog/{resource_id}", response_class=HTMLResponse)
def resource_detail(
    request: Request,
    resource_id: IdPath,
    principal: Reader,
    session: SessionDep,
    msg: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    return _detail(request, session, principal, resource_id, FLASHES.get(msg or ""))


def _ensure_managed(
    session: SessionDep, principal: Principal, resource_id: int, action: str
) -> None:
    resource = service.get_resource(session, resource_id)
    service.ensure_may_manage(session, principal, resource.provider_unit_id, action, resource_id)


@router.get("/catalog/{resource_id}/edit", response_class=HTMLResponse)
def edit_resource(
    request: Request, resource_id: IdPath, principal: Manager, session: SessionDep
) -> HTMLResponse:
    _ensure_managed(session, principal, resource_id, "update")
    resource = service.resource_public(session, principal, resource_id)
    return _editor(request, session, principal, resource.model_dump(), resource)


@router.post("/catalog/{resource_id}/edit", response_class=HTMLResponse)
def save_resource(
    request: Request,
    resource_id: IdPath,
    principal: Manager,
    session: SessionDep,
    form: PostedForm,
) -> Response:
    _ensure_managed(session, principal, resource_id, "update")
    resource = service.resource_public(session, principal, resource_id)
    submitted = {**resource.model_dump(), **forms.form_data(form)}
    try:
        service.update_draft(session, principal.as_actor(), resource_id, forms.parse_update(form))
        if form.get("action") == "publish":
            service.publish(session, principal.as_actor(), resource_id)
    except ValidationError as exc:
        messages = forms.validation_messages(exc)
        return _editor(request, session, principal, submitted, resource, messages, 422)
    except Problem as problem:
        session.rollback()
        messages = forms.problem_messages(problem.errors) or [problem.message_zh]
        return _editor(request, session, principal, submitted, resource, messages, problem.status)
    done = "published" if form.get("action") == "publish" else "saved"
    return redirect(f"/catalog/{resource_id}?msg={done}")


def _act(
    request: Request, session: SessionDep, principal: Principal, resource_id: int, action: str
) -> Response:
    _ensure_managed(session, principal, resource_id, action)
    try:
        if action == "publish":
            service.publish(session, principal.as_actor(), resource_id)
        else:
            service.retire(session, principal.as_actor(), resource_id)
    except Problem as problem:
        session.rollback()
        details = forms.problem_messages(problem.errors)
        text = "".join(details) if details else problem.message_zh
        return _detail(
            request,
            session,
            principal,
            resource_id,
            {"kind": "error", "text": text},
            problem.status,
        )
    return redirect(f"/catalog/{resource_id}?msg={DONE[action]}")


@router.post("/catalog/{resource_id}/publish", response_class=HTMLResponse)
def publish_resource(
    request: Request, resource_id: IdPath, principal: Manager, session: SessionDep
) -> Response:
    return _act(request, session, principal, resource_id, "publish")


@router.post("/catalog/{resource_id}/retire", response_class=HTMLResponse)
def retire_resource(
    request: Request, resource_id: IdPath, principal: Manager, session: SessionDep
) -> Response:
    return _act(request, session, principal, resource_id, "retire")
