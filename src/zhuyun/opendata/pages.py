"""The open-data portal's public pages: search the opened datasets, read one. No sign-in."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from zhuyun.core.errors import NotFound
from zhuyun.identity.deps import MaybeCaller, SessionDep
from zhuyun.identity.permissions import Permission
from zhuyun.opendata import service
from zhuyun.web.rendering import NavItem, pager, register_nav, render

router = APIRouter(include_in_schema=False)
register_nav(NavItem("开放数据", "/opendata", "chart", Permission.DASHBOARD_READ, 270))

PAGE_ROWS = 20
EXTRA_LABELS = {
    "resource_code": "资源代码",
    "classification": "分类",
    "open_type": "开放类型",
    "update_cycle": "更新周期",
    "version": "版本",
    "open_conditions": "开放条件",
}
TYPE_LABELS = {
    "string": "文本", "integer": "整数", "decimal": "数值", "boolean": "是/否",
    "date": "日期", "datetime": "日期时间", "binary": "二进制",
}  # fmt: skip


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/opendata", response_class=HTMLResponse)
def portal(
    request: Request,
    session: SessionDep,
    _: MaybeCaller,
    q: Annotated[str, Query(max_length=100)] = "",
    organization: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> HTMLResponse:
    base = _base(request)
    fq = {"organization": [organization]} if organization else None
    query = service.SearchQuery(
        q=q, fq=fq, rows=PAGE_ROWS, start=offset, facet_fields=("organization",)
    )
    found = service.package_search(session, query, base)
    orgs = service.organizations(session)
    counts = found["facets"].get("organization", {})
    for dataset in found["results"]:
        dataset["open_type"] = next(
            (e["value"] for e in dataset["extras"] if e["key"] == "open_type"), "open"
        )
    return render(
        request,
        "opendata.html",
        page_title="开放数据",
        q=q,
        organization=organization,
        datasets=found["results"],
        total=found["count"],
        counts={"datasets": sum(o["package_count"] for o in orgs), "organizations": len(orgs)},
        organizations=[
            {
                "title": o["title"],
                "count": counts.get(o["name"], 0),
                "active": o["name"] == organization,
                "href": "/opendata?" + urlencode({"q": q, "organization": o["name"]}),
            }
            for o in orgs
            if counts.get(o["name"], 0) or o["name"] == organization
        ],
        all_href="/opendata?" + urlencode({"q": q}) if q else "/opendata",
        pager=pager(
            "/opendata", {"q": q, "organization": organization}, offset, PAGE_ROWS, found["count"]
        ),
        base_url=base,
    )


@router.get("/opendata/datasets/{name}", response_class=HTMLResponse)
def dataset(
    request: Request,
    name: Annotated[str, PathParam(max_length=100)],
    session: SessionDep,
    _: MaybeCaller,
) -> HTMLResponse:
    base = _base(request)
    try:
        version = service.find_dataset(session, name)
    except service.NotFound:
        raise NotFound(
            f"There is no open dataset {name}.", f"没有名为 {name} 的开放数据集。"
        ) from None
    package = service.package_dict(version, base)
    package["open_type"] = version.open_type
    return render(
        request,
        "opendata_dataset.html",
        page_title=package["title"],
        d=package,
        extra_labels=EXTRA_LABELS,
        type_labels=TYPE_LABELS,
        base_url=base,
    )
