"""The open-data portal's public pages (no sign-in): the home with its figures and search,
a dataset's page (metadata, resources, quality, usage, history, API examples), and the
units that open data. Thin: `opendata.portal` assembles what they show."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from zhuyun.catalog import service as catalog
from zhuyun.core.errors import NotFound
from zhuyun.identity.deps import MaybeCaller, SessionDep, get_database, get_settings_dep
from zhuyun.identity.permissions import Permission
from zhuyun.opendata import portal, preview, quality, service, usage
from zhuyun.opendata.visitors import OpenVisitor
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
Text = Annotated[str, Query(max_length=100)]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/opendata", response_class=HTMLResponse)
def portal_home(
    request: Request,
    session: SessionDep,
    _: MaybeCaller,
    q: Text = "",
    organization: Text = "",
    theme: Text = "",
    format: Text = "",  # the facet's name in the URL
    cycle: Text = "",
    open: Text = "",  # the facet's name in the URL
    sort: Annotated[str, Query(max_length=20)] = "relevance",
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> HTMLResponse:
    """The portal: figures, newest and most used datasets, and the faceted search."""
    base = _base(request)
    selected = {
        "organization": organization, "theme": theme, "format": format, "cycle": cycle,
        "open": open,
    }  # fmt: skip
    found = portal.search(session, base, q.strip(), selected, sort, offset, PAGE_ROWS)
    home = None if found.filtered or offset else portal.home(session, base)
    kept: dict[str, str | None] = {"q": found.q, **found.selected, "sort": found.sort}
    if found.sort == "relevance":
        kept.pop("sort")
    return render(
        request,
        "opendata.html",
        page_title="开放数据",
        found=found,
        home=home,
        chart_data={"trend": home.trend} if home else {},
        pager=pager("/opendata", kept, offset, PAGE_ROWS, found.count),
        base_url=base,
    )


@router.get("/opendata/datasets/{name}", response_class=HTMLResponse)
def dataset(
    request: Request,
    name: Annotated[str, PathParam(max_length=100)],
    session: SessionDep,
    _: MaybeCaller,
) -> HTMLResponse:
    """One open dataset; each showing counts as a view."""
    base = _base(request)
    try:
        version = service.find_dataset(session, name)
    except service.NotFound:
        raise NotFound(
            f"There is no open dataset {name}.", f"没有名为 {name} 的开放数据集。"
        ) from None
    rid = version.resource_id
    usage.record_use(session, rid, "view")
    bound = service.bound_ids(session)
    package = service.package_dict(version, base, bound)
    shown = preview.preview_of(
        session,
        get_database(request),
        get_settings_dep(request).secret_key.get_secret_value(),
        OpenVisitor(client=request.client.host if request.client else "?"),
        version,
        rid in bound,
    )
    package["open_type"] = version.open_type
    first = catalog.first_published(session, [rid]).get(rid)
    report = quality.report_of(session, rid)
    return render(
        request,
        "opendata_dataset.html",
        page_title=package["title"],
        d=package,
        resource_id=rid,
        version=version,
        first_published=first,
        extra_labels=EXTRA_LABELS,
        type_labels=TYPE_LABELS,
        open_label=portal.OPEN_LABELS.get(version.open_type, version.open_type),
        quality=portal.quality_view(report),
        field_stats={f["field"]: f for f in (report.fields if report else [])},
        totals=usage.totals_of(session, rid),
        chart_data={
            "usage": usage.series_json(usage.daily_series(session, [rid])),
            "score": report.score if report else None,
            "categories": shown.chart["bars"] if shown.chart else [],
        },
        preview=shown,
        history=portal.history(session, rid),
        license_url=portal.LICENSE_URL,
        base_url=base,
    )


@router.get("/opendata/organizations", response_class=HTMLResponse)
def organizations(request: Request, session: SessionDep, _: MaybeCaller) -> HTMLResponse:
    """The units that open data, their quality roll-up and usage."""
    units = portal.unit_cards(session, _base(request))
    return render(
        request,
        "opendata_organizations.html",
        page_title="开放部门",
        units=units,
        chart_data={"units": portal.unit_chart(units)},
    )


@router.get("/opendata/organizations/{name}", response_class=HTMLResponse)
def organization(
    request: Request,
    name: Annotated[str, PathParam(max_length=100)],
    session: SessionDep,
    _: MaybeCaller,
) -> HTMLResponse:
    """One unit: its open datasets with their scores and usage, its usage by day."""
    base = _base(request)
    try:
        org = service.organization(session, name, base)
    except service.NotFound:
        raise NotFound(
            f"No unit {name} opens data.", f"没有名为 {name} 的开放数据提供部门。"
        ) from None
    unit = next(u for u in portal.unit_cards(session, base) if u.slug == org["name"])
    datasets = portal.cards(session, org["packages"])
    datasets.sort(key=lambda c: (-c.usage.total, c.title))
    return render(
        request,
        "opendata_organization.html",
        page_title=org["title"],
        org=org,
        unit=unit,
        datasets=datasets,
        chart_data={
            "usage": usage.series_json(usage.daily_series(session, [c.id for c in datasets]))
        },
    )
