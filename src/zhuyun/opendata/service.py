"""The open-data portal's view of the catalog, in CKAN's shapes, so the tools people already
use with CKAN portals (ckanapi, harvesters, notebooks) work unchanged.

A dataset is a published catalog resource the government opens — without conditions or
with them (the data of the latter needs a developer key; its metadata is public). Nothing
closed, nothing of the internal sharing rules (share types, conditions, legal bases, mask
kinds) and no secret item ever appears here. Every public dataset is listed, counted,
searched and faceted — no cap — over the in-process index of `dataset_index`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy.orm import Session

from zhuyun.catalog.models import ResourceVersion
from zhuyun.catalog.vocab import BASE_LIBRARY_LABELS_ZH, BaseLibrary, OpenType
from zhuyun.exchange.service import sources
from zhuyun.exchange.service.policy import OPENED_SENSITIVITIES
from zhuyun.opendata.dataset_index import (
    FACET_FIELDS,
    LICENSE_ID,
    PUBLIC_OPEN_TYPES,
    Dataset,
    current_index,
    dataset_name,
    dataset_of_version,
    search_positions,
    sort_value,
)

# The most datasets one call lists (package_list without a limit, the DCAT export); page
# with offset/start past it. Searches, counts and facets always cover every dataset.
MAX_DATASETS = 100_000
CKAN_VERSION = "2.10.4"  # the Action API generation whose shapes these follow
LICENSE = {"license_id": LICENSE_ID, "license_title": "知识共享署名 4.0（CC BY 4.0）"}

__all__ = [
    "CKAN_VERSION",
    "FACET_FIELDS",
    "LICENSE",
    "MAX_DATASETS",
    "OPENED_SENSITIVITIES",
    "PUBLIC_OPEN_TYPES",
    "NotFound",
    "SearchQuery",
    "ValidationError",
    "bound_ids",
    "dataset_name",
    "find_dataset",
    "find_resource",
    "groups",
    "organization",
    "organizations",
    "package_dict",
    "package_names",
    "package_search",
    "parse_fq",
    "resource_dict",
    "tags",
]


class NotFound(Exception):
    """CKAN's "Not found" for a dataset, organisation, group or resource."""


class ValidationError(Exception):
    """CKAN's "Validation Error": field → messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


def _organization(dataset: Dataset) -> dict[str, Any]:
    return {
        "id": str(dataset.provider_unit_id),
        "name": dataset.org_name,
        "title": dataset.provider_name,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "description": "",
        "image_url": "",
        "created": None,
    }


def _resource(dataset: Dataset, base_url: str, bound: Collection[int]) -> dict[str, Any]:
    active = dataset.resource_id in bound
    name = dataset.name
    return {
        "id": f"{name}-data",
        "package_id": str(dataset.resource_id),
        "name": f"{dataset.title}（数据）",
        "description": dataset.notes,
        "format": "CSV",
        "mimetype": "text/csv",
        # the CSV download where there is data to download, else the dataset's page
        "url": f"{base_url}/opendata/datasets/{name}" + ("/download.csv" if active else ""),
        "url_type": "datastore" if active else None,
        "datastore_active": active,
        "state": "active",
        "position": 0,
        "created": dataset.published,
        "last_modified": dataset.published,
        "resource_type": dataset.resource_type,
        "fields": [
            {"id": field, "type": data_type, "info": {"label": label}}
            for field, data_type, label in dataset.fields
        ],
    }


def _package(dataset: Dataset, base_url: str, bound: Collection[int]) -> dict[str, Any]:
    extras = [
        {"key": "resource_code", "value": dataset.code},
        {"key": "classification", "value": dataset.classification},
        {"key": "open_type", "value": dataset.open_type},
        {"key": "update_cycle", "value": dataset.update_cycle},
        {"key": "version", "value": str(dataset.version)},
    ]
    if dataset.open_type == OpenType.CONDITIONAL.value:
        extras.append({"key": "open_conditions", "value": dataset.open_conditions})
    library = dataset.base_library
    return {
        "id": str(dataset.resource_id),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.notes,
        "type": "dataset",
        "state": "active",
        "private": False,
        "author": dataset.provider_name,
        "maintainer": dataset.provider_name,
        "url": f"{base_url}/catalog/{dataset.resource_id}",
        "version": str(dataset.version),
        "metadata_created": dataset.published,
        "metadata_modified": dataset.published,
        "owner_org": str(dataset.provider_unit_id),
        "organization": _organization(dataset),
        "tags": [{"name": tag, "display_name": tag, "state": "active"} for tag in dataset.tags],
        "groups": (
            [{"name": library, "title": BASE_LIBRARY_LABELS_ZH[BaseLibrary(library)]}]
            if library
            else []
        ),
        "extras": extras,
        "resources": [_resource(dataset, base_url, bound)],
        "num_resources": 1,
        "num_tags": len(dataset.tags),
        **LICENSE,
    }


def bound_ids(session: Session) -> frozenset[int]:
    """The catalog resources whose data can be served (bound to a department's source)."""
    return sources.bound_resource_ids(session)


def resource_dict(
    version: ResourceVersion, base_url: str, bound: Collection[int] = frozenset()
) -> dict[str, Any]:
    """The dataset's one data resource: the open rows of the catalog resource, served by
    the DataStore API and as downloads when the resource is bound to its source."""
    return _resource(dataset_of_version(version), base_url, bound)


def package_dict(
    version: ResourceVersion, base_url: str, bound: Collection[int] = frozenset()
) -> dict[str, Any]:
    """A published resource as a CKAN dataset (package)."""
    return _package(dataset_of_version(version), base_url, bound)


# -- the Action API's reads -------------------------------------------------------------------


def find_dataset(session: Session, name_or_id: str) -> ResourceVersion:
    """A public dataset by its CKAN name or its id; NotFound for anything else."""
    index = current_index(session)
    position = index.by_name.get(name_or_id)
    if position is not None:
        version = session.get(ResourceVersion, index.datasets[position].version_id)
        if version is not None:
            return version
    raise NotFound(name_or_id)


def find_resource(session: Session, resource_id: str) -> ResourceVersion:
    if not resource_id.endswith("-data"):
        raise NotFound(resource_id)
    return find_dataset(session, resource_id.removesuffix("-data"))


def package_names(session: Session, offset: int, limit: int | None) -> list[str]:
    datasets = current_index(session).datasets
    return [d.name for d in datasets[offset : None if limit is None else offset + limit]]


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    fq: dict[str, list[str]] | None = None
    rows: int = 10
    start: int = 0
    sort: str = "score desc, metadata_modified desc"
    facet_fields: Sequence[str] = ()
    facet_limit: int = 50


_FQ_TERM = re.compile(r'(?:^|\s)\+?([a-z_]+):("(?:[^"]*)"|\S+)')


def parse_fq(fq: str) -> dict[str, list[str]]:
    """Solr-like `field:value` filters as CKAN clients send them (`organization:scjg
    tags:"信用体系"`); unknown fields are a validation error."""
    found: dict[str, list[str]] = {}
    for field_name, value in _FQ_TERM.findall(fq or ""):
        if field_name not in (*FACET_FIELDS, "name", "id"):
            raise ValidationError({"fq": [f"不支持的过滤字段：{field_name}"]})
        found.setdefault(field_name, []).append(value.strip('"'))
    return found


def _sort_of(sort: str) -> tuple[str, bool] | None:
    """CKAN's sort as (key, descending); None keeps the order of relevance (or code)."""
    if sort.startswith(("title_string", "name")):
        return ("title" if sort.startswith("title") else "name"), sort.endswith("desc")
    if sort.startswith("metadata_modified"):
        return "metadata_modified", "desc" in sort
    return None


def package_search(session: Session, query: SearchQuery, base_url: str) -> dict[str, Any]:
    """CKAN's package_search over the public datasets: words (jieba, as the catalog searches),
    filters, sorting, paging and facet counts."""
    index = current_index(session)
    selected: set[int] | frozenset[int] | None = None  # None: every dataset
    ranked: list[int] | None = None
    text = query.q.strip()
    if text and text != "*:*":
        ranked = search_positions(session, index, text)
        selected = frozenset(ranked)
    for name, values in (query.fq or {}).items():
        postings = index.postings.get(name, {})
        matched: set[int] = set()
        for value in values:
            matched |= postings.get(value, frozenset())
        selected = matched if selected is None else selected & matched
    sort = _sort_of(query.sort)
    order: Iterable[int]
    narrowed = False  # whether `order` holds datasets outside `selected`
    if ranked is not None:
        order, narrowed = ranked, bool(query.fq)
        if sort is not None:  # stable: ties keep the order of relevance
            order = sorted(ranked, key=lambda p: sort_value(index.datasets[p], sort[0]),
                           reverse=sort[1])  # fmt: skip
    elif sort is not None:
        order, narrowed = index.orders[sort], selected is not None
    elif selected is not None:
        order = sorted(selected)
    else:
        order = range(len(index.datasets))
    chosen: Iterator[int] = iter(order)
    if narrowed and selected is not None:
        members = selected
        chosen = (p for p in order if p in members)
    page = list(islice(chosen, query.start, query.start + query.rows))
    bound = bound_ids(session)
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    for name in query.facet_fields:
        counts: Counter[str] = Counter()
        for value, positions in index.postings.get(name, {}).items():
            n = len(positions) if selected is None else len(positions & selected)
            if n:
                counts[value] = n
        top = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: query.facet_limit])
        facets[name] = top
        search_facets[name] = {
            "title": name,
            "items": [{"name": k, "display_name": k, "count": n} for k, n in top.items()],
        }
    return {
        "count": len(index.datasets) if selected is None else len(selected),
        "results": [_package(index.datasets[p], base_url, bound) for p in page],
        "sort": query.sort,
        "facets": facets,
        "search_facets": search_facets,
    }


def organizations(session: Session) -> list[dict[str, Any]]:
    """Each unit that opens data, with how many datasets."""
    seen: dict[str, dict[str, Any]] = {}
    for dataset in current_index(session).datasets:
        entry = seen.setdefault(dataset.org_name, {**_organization(dataset), "package_count": 0})
        entry["package_count"] += 1
    return sorted(seen.values(), key=lambda o: str(o["name"]))


def organization(session: Session, name_or_id: str, base_url: str) -> dict[str, Any]:
    for org in organizations(session):
        if name_or_id in (org["name"], org["id"]):
            bound = bound_ids(session)
            packages = [
                _package(d, base_url, bound)
                for d in current_index(session).datasets
                if str(d.provider_unit_id) == org["id"]
            ]
            return {**org, "packages": packages}
    raise NotFound(name_or_id)


def groups(session: Session) -> list[dict[str, Any]]:
    """The base libraries (人口, 法人 …) the open datasets feed, as CKAN groups."""
    counts = Counter(d.base_library for d in current_index(session).datasets if d.base_library)
    return [
        {"id": name, "name": name, "title": BASE_LIBRARY_LABELS_ZH[BaseLibrary(name)],
         "type": "group", "is_organization": False, "state": "active", "package_count": n}
        for name, n in sorted(counts.items())
    ]  # fmt: skip


def tags(session: Session) -> list[str]:
    return sorted({tag for d in current_index(session).datasets for tag in d.tags})
