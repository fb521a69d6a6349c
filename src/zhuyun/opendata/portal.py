"""What the portal's public pages show, assembled from the open catalog (opendata.service),
the quality reports and the usage counts: the home's figures and lists, faceted search,
a dataset's page, the units that open data. The pages module only renders this.

Only the opened part of the catalog is ever read here: datasets come from
`service.package_search` / `service.find_dataset`, which leave closed resources, the sharing
rules and sensitive items out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.catalog.models import ResourceVersion
from zhuyun.catalog.vocab import OPEN_TYPE_LABELS_ZH, OpenType
from zhuyun.opendata import quality, service, usage
from zhuyun.opendata.models import QualityReport
from zhuyun.opendata.usage import UsageTotals

FACETS: dict[str, str] = {
    "organization": "提供部门",
    "theme": "主题",
    "format": "资源格式",
    "cycle": "更新周期",
    "open": "开放类型",
}
SORTS: dict[str, str] = {
    "relevance": "默认排序",
    "newest": "最近更新",
    "popular": "使用最多",
    "quality": "质量最高",
    "title": "名称",
}
OPEN_LABELS = {t.value: label for t, label in OPEN_TYPE_LABELS_ZH.items()}
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/deed.zh-hans"
HOME_LIST = 6
PUBLIC_CHANGE_FIELDS = {
    "name", "summary", "format", "open_type", "open_conditions", "update_cycle",
    "base_library", "themes", "provider_name",
}  # fmt: skip
ITEM_PUBLIC_ATTRS = ("name", "data_type", "description")


def _extra(package: Mapping[str, Any], key: str) -> str:
    return next((str(e["value"]) for e in package["extras"] if e["key"] == key), "")


def facet_values(package: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Each facet's (value, label) pairs of one dataset."""
    org = package["organization"]
    open_type = _extra(package, "open_type")
    cycle = _extra(package, "update_cycle")
    return {
        "organization": [(org["name"], org["title"])],
        "theme": [(t["name"], t["name"]) for t in package["tags"]],
        "format": [(r["resource_type"], r["resource_type"]) for r in package["resources"][:1]],
        "cycle": [(cycle, cycle)] if cycle else [],
        "open": [(open_type, OPEN_LABELS.get(open_type, open_type))],
    }


@dataclass(frozen=True)
class DatasetCard:
    """A dataset as lists show it."""

    id: int
    name: str
    title: str
    notes: str
    unit_name: str
    unit_slug: str
    tags: list[str]
    open_type: str
    open_label: str
    format_label: str
    cycle_label: str
    modified: str
    score: int | None
    usage: UsageTotals

    @property
    def band(self) -> tuple[str, str]:
        return quality.band(self.score)


def _card(
    package: Mapping[str, Any], scores: Mapping[int, int | None], used: Mapping[int, UsageTotals]
) -> DatasetCard:
    rid = int(package["id"])
    open_type = _extra(package, "open_type")
    return DatasetCard(
        id=rid,
        name=package["name"],
        title=package["title"],
        notes=package["notes"],
        unit_name=package["organization"]["title"],
        unit_slug=package["organization"]["name"],
        tags=[t["name"] for t in package["tags"]],
        open_type=open_type,
        open_label=OPEN_LABELS.get(open_type, open_type),
        format_label=package["resources"][0]["resource_type"] if package["resources"] else "",
        cycle_label=_extra(package, "update_cycle"),
        modified=str(package["metadata_modified"])[:10],
        score=scores.get(rid),
        usage=used.get(rid, UsageTotals()),
    )


def cards(session: Session, packages: Sequence[Mapping[str, Any]]) -> list[DatasetCard]:
    ids = [int(p["id"]) for p in packages]
    scores = quality.scores_for(session, ids)
    used = usage.totals_by_dataset(session, ids)
    return [_card(p, scores, used) for p in packages]


def all_packages(session: Session, base_url: str, q: str = "") -> list[dict[str, Any]]:
    """Every open dataset (or those matching the words `q`), in CKAN's shape."""
    query = service.SearchQuery(q=q, rows=service.MAX_DATASETS)
    return list(service.package_search(session, query, base_url)["results"])


# -- search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    active: bool
    href: str


@dataclass(frozen=True)
class Facet:
    key: str
    label: str
    options: list[FacetOption]
    active: bool
    clear_href: str


@dataclass
class SearchPage:
    q: str
    selected: dict[str, str]
    sort: str
    count: int
    datasets: list[DatasetCard]
    facets: list[Facet]
    sorts: list[tuple[str, str, str, bool]] = field(default_factory=list)  # key, label, href, on

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.selected)


def search_href(q: str, selected: Mapping[str, str], sort: str, /, **changes: str | None) -> str:
    """The portal's URL for a search, with some parameters changed (None drops one)."""
    params: dict[str, str | None] = {"q": q, **selected, "sort": sort}
    params.update(changes)
    kept = {k: v for k, v in params.items() if v and not (k == "sort" and v == "relevance")}
    return "/opendata" + ("?" + urlencode(kept) if kept else "")


def _matches(package: Mapping[str, Any], selected: Mapping[str, str], skip: str = "") -> bool:
    values = facet_values(package)
    return all(
        any(v == wanted for v, _ in values[key]) for key, wanted in selected.items() if key != skip
    )


def search(
    session: Session,
    base_url: str,
    q: str,
    selected: Mapping[str, str],
    sort: str,
    offset: int,
    limit: int,
) -> SearchPage:
    """Words, then the facets chosen (one value each, all must hold), counts per facet value
    over the datasets the other facets leave, a sort, a page."""
    chosen = {k: v for k, v in selected.items() if k in FACETS and v}
    sort = sort if sort in SORTS else "relevance"
    packages = all_packages(session, base_url, q)
    matching = [p for p in packages if _matches(p, chosen)]
    facets = []
    for key, label in FACETS.items():
        counts: dict[str, tuple[str, int]] = {}
        for package in packages:
            if not _matches(package, chosen, skip=key):
                continue
            for value, value_label in facet_values(package)[key]:
                seen = counts.get(value, (value_label, 0))
                counts[value] = (value_label, seen[1] + 1)
        if chosen.get(key) and chosen[key] not in counts:
            counts[chosen[key]] = (chosen[key], 0)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1][1], kv[1][0]))
        options = [
            FacetOption(
                value,
                value_label,
                n,
                chosen.get(key) == value,
                search_href(q, chosen, sort, **{key: None if chosen.get(key) == value else value}),
            )
            for value, (value_label, n) in ranked
        ]
        facets.append(
            Facet(key, label, options, key in chosen, search_href(q, chosen, sort, **{key: None}))
        )
    all_cards = cards(session, matching)
    if sort == "newest":
        all_cards.sort(key=lambda c: c.modified, reverse=True)
    elif sort == "popular":
        all_cards.sort(key=lambda c: -c.usage.total)
    elif sort == "quality":
        all_cards.sort(key=lambda c: -1 if c.score is None else -c.score)
    elif sort == "title":
        all_cards.sort(key=lambda c: c.title)
    sorts = [
        (k, label, search_href(q, chosen, sort, sort=k), k == sort) for k, label in SORTS.items()
    ]
    return SearchPage(
        q=q,
        selected=chosen,
        sort=sort,
        count=len(all_cards),
        datasets=all_cards[offset : offset + limit],
        facets=facets,
        sorts=sorts,
    )


# -- the home -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Home:
    figures: list[tuple[str, str, str]]  # label, value, hint
    newest: list[DatasetCard]
    most_used: list[DatasetCard]
    trend: list[dict[str, object]]


def home(session: Session, base_url: str) -> Home:
    packages = all_packages(session, base_url)
    ids = [int(p["id"]) for p in packages]
    by_id = {int(p["id"]): p for p in packages}
    units = {p["organization"]["name"] for p in packages}
    conditional = sum(1 for p in packages if _extra(p, "open_type") == OpenType.CONDITIONAL)
    scores = [s for s in quality.scores_for(session, ids).values() if s is not None]
    used = usage.totals_by_dataset(session, ids)
    total = sum((t for t in used.values()), UsageTotals())
    average = f"{sum(scores) / len(scores):.0f}" if scores else "—"
    figures = [
        ("开放数据集", f"{len(packages):,}", f"来自 {len(units)} 个部门"),
        ("无条件开放", f"{len(packages) - conditional:,}", "任何人可直接获取"),
        ("有条件开放", f"{conditional:,}", "注册开发者密钥后获取"),
        ("平均质量分", average, f"{len(scores)} 个数据集已评估"),
        ("累计使用", f"{total.total:,}", f"浏览 {total.views:,} · 下载 {total.downloads:,}"),
        ("接口调用", f"{total.api_calls:,}", "CKAN 兼容接口"),
    ]
    newest = sorted(packages, key=lambda p: str(p["metadata_modified"]), reverse=True)
    top = [by_id[rid] for rid, _ in usage.most_used(session, ids, HOME_LIST)]
    return Home(
        figures=figures,
        newest=cards(session, newest[:HOME_LIST]),
        most_used=cards(session, top),
        trend=usage.series_json(usage.daily_series(session, ids)),
    )


# -- a dataset ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    hint: str
    percent: float
    weight: int

    @property
    def points(self) -> float:
        return round(self.percent * self.weight / 100, 1)


@dataclass(frozen=True)
class QualityView:
    report: QualityReport | None
    status_label: str
    band: tuple[str, str]
    dimensions: list[Dimension]
    findings: list[dict[str, Any]]
    total_rows: int | None


_LEVEL_ORDER = {"error": 0, "warning": 1, "info": 2}


def quality_view(report: QualityReport | None) -> QualityView:
    if report is None:
        return QualityView(None, "尚未评估", quality.band(None), [], [], None)
    dims = [
        Dimension(
            key,
            quality.DIMENSION_LABELS_ZH[key],
            quality.DIMENSION_HINTS_ZH[key],
            float(report.dimensions.get(key, 0.0)),
            weight,
        )
        for key, weight in quality.WEIGHTS.items()
        if key in report.dimensions
    ]
    findings = sorted(report.findings, key=lambda f: _LEVEL_ORDER.get(f.get("level", ""), 3))
    total = report.dimensions.get("total_rows")
    return QualityView(
        report,
        quality.STATUS_LABELS_ZH.get(quality.Status(report.status), report.status),
        quality.band(report.score),
        dims,
        findings,
        int(total) if isinstance(total, int) else None,
    )


def _opened_fields(snapshot: Mapping[str, Any]) -> set[str]:
    return {
        item["field"]
        for item in snapshot.get("items", [])
        if item.get("sensitivity") in service.OPENED_SENSITIVITIES
    }


def _public_changes(version: ResourceVersion, previous: ResourceVersion | None) -> list[str]:
    """What changed in a version, as the public may read it: metadata the portal shows and
    the opened items only (never a sharing rule, a grade or a closed item)."""
    opened_now = _opened_fields(version.snapshot)
    opened_before = _opened_fields(previous.snapshot) if previous else set()
    labels: list[str] = []
    for change in version.changes or []:
        name = str(change.get("field", ""))
        if name in PUBLIC_CHANGE_FIELDS:
            labels.append(str(change.get("label") or name))
        elif name == "items.added":
            added = [f for f in change.get("after") or [] if f in opened_now]
            if added:
                labels.append(f"新增数据项 {len(added)} 个")
        elif name == "items.removed":
            removed = [f for f in change.get("before") or [] if f in opened_before]
            if removed:
                labels.append(f"删除数据项 {len(removed)} 个")
        elif name.startswith("items."):
            parts = name.split(".")
            if len(parts) == 3 and parts[1] in opened_now and parts[2] in ITEM_PUBLIC_ATTRS:
                labels.append(str(change.get("label") or name))
    return list(dict.fromkeys(labels))


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    published_at: datetime
    current: bool
    changes: list[str]


def history(session: Session, resource_id: int, limit: int = 20) -> list[HistoryEntry]:
    """The dataset's published versions, newest first, with what changed publicly."""
    versions, _ = catalog.list_versions(session, resource_id, 0, limit + 1)
    entries = []
    for index, version in enumerate(versions[:limit]):
        previous = versions[index + 1] if index + 1 < len(versions) else None
        changes = _public_changes(version, previous) if version.version > 1 else ["首次发布"]
        entries.append(
            HistoryEntry(
                version.version,
                version.published_at,
                bool(version.is_current),
                changes or ["内部管理信息更新（不影响开放内容）"],
            )
        )
    return entries


# -- units --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitCard:
    id: int
    slug: str
    title: str
    datasets: int
    quality: quality.UnitQuality | None
    usage: UsageTotals

    @property
    def band(self) -> tuple[str, str]:
        return quality.band(self.quality.average if self.quality else None)


def unit_cards(session: Session, base_url: str) -> list[UnitCard]:
    """Every unit that opens data, with its quality roll-up and usage, most datasets first."""
    packages = all_packages(session, base_url)
    unit_of = {int(p["id"]): int(p["organization"]["id"]) for p in packages}
    rollup = quality.unit_rollup(session, list(unit_of))
    used = usage.totals_by_unit(session, unit_of)
    found = [
        UnitCard(
            int(org["id"]),
            org["name"],
            org["title"],
            int(org["package_count"]),
            rollup.get(int(org["id"])),
            used.get(int(org["id"]), UsageTotals()),
        )
        for org in service.organizations(session)
    ]
    return sorted(found, key=lambda u: (-u.datasets, u.title))


def unit_chart(units: Iterable[UnitCard]) -> list[dict[str, object]]:
    return [
        {
            "name": u.title,
            "views": u.usage.views,
            "downloads": u.usage.downloads,
            "api": u.usage.api_calls,
            "score": u.quality.average if u.quality else None,
        }
        for u in units
    ]
