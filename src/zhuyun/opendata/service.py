"""The open-data portal's view of the catalog, in CKAN's shapes, so the tools people already
use with CKAN portals (ckanapi, harvesters, notebooks) work unchanged.

A dataset is a published catalog resource the government opens — without conditions or
with them (the data of the latter needs a developer key; its metadata is public). Nothing
closed, nothing of the internal sharing rules (share types, conditions, legal bases, mask
kinds) and no secret item ever appears here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.catalog.models import ResourceVersion
from zhuyun.catalog.search import Facets
from zhuyun.catalog.vocab import (
    BASE_LIBRARY_LABELS_ZH,
    FORMAT_LABELS_ZH,
    UPDATE_CYCLE_LABELS_ZH,
    BaseLibrary,
    OpenType,
    ResourceFormat,
    UpdateCycle,
)
from zhuyun.exchange.service import sources
from zhuyun.exchange.service.policy import OPENED_SENSITIVITIES

PUBLIC_OPEN_TYPES = (OpenType.OPEN, OpenType.CONDITIONAL)
MAX_DATASETS = 5_000  # the catalog a portal serves at once; searched and faceted in memory
CKAN_VERSION = "2.10.4"  # the Action API generation whose shapes these follow
LICENSE = {"license_id": "cc-by", "license_title": "知识共享署名 4.0（CC BY 4.0）"}


class NotFound(Exception):
    """CKAN's "Not found" for a dataset, organisation, group or resource."""


class ValidationError(Exception):
    """CKAN's "Validation Error": field → messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


def dataset_name(code: str) -> str:
    """A catalog code (105001/000001) as a CKAN name: lower case, digits and dashes."""
    front, _, sequence = code.partition("/")
    return f"zy-{front}-{sequence}"


def _time(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


def _public_versions(session: Session) -> list[ResourceVersion]:
    rows, _ = catalog.current_versions(
        session, open_types=list(PUBLIC_OPEN_TYPES), offset=0, limit=MAX_DATASETS
    )
    return list(rows)


def _tags(version: ResourceVersion) -> list[str]:
    snapshot = version.snapshot
    tags = list(snapshot.get("themes") or [])
    if version.base_library:
        tags.append(BASE_LIBRARY_LABELS_ZH[BaseLibrary(version.base_library)])
    return tags


def _organization(version: ResourceVersion) -> dict[str, Any]:
    code = str(version.snapshot.get("provider_code") or version.provider_unit_id)
    return {
        "id": str(version.provider_unit_id),
        "name": code.lower().replace(".", "-"),
        "title": version.provider_name,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "description": "",
        "image_url": "",
        "created": None,
    }


def bound_ids(session: Session) -> frozenset[int]:
    """The catalog resources whose data can be served (bound to a department's source)."""
    return sources.bound_resource_ids(session)


def resource_dict(
    version: ResourceVersion, base_url: str, bound: Collection[int] = frozenset()
) -> dict[str, Any]:
    """The dataset's one data resource: the open rows of the catalog resource, served by
    the DataStore API and as downloads when the resource is bound to its source."""
    active = version.resource_id in bound
    name = dataset_name(version.code)
    fields = [
        {"id": item["field"], "type": item["data_type"], "info": {"label": item["name"]}}
        for item in version.snapshot.get("items", [])
        if item.get("sensitivity") in OPENED_SENSITIVITIES  # never sensitive or secret ones
    ]
    fmt = version.snapshot.get("format") or ResourceFormat.DATABASE.value
    return {
        "id": f"{name}-data",
        "package_id": str(version.resource_id),
        "name": f"{version.name}（数据）",
        "description": version.snapshot.get("summary", ""),
        "format": "CSV",
        "mimetype": "text/csv",
        # the CSV download where there is data to download, else the dataset's page
        "url": f"{base_url}/opendata/datasets/{name}" + ("/download.csv" if active else ""),
        "url_type": "datastore" if active else None,
        "datastore_active": active,
        "state": "active",
        "position": 0,
        "created": _time(version.published_at),
        "last_modified": _time(version.published_at),
        "resource_type": FORMAT_LABELS_ZH[ResourceFormat(fmt)],
        "fields": fields,
    }


def package_dict(
    version: ResourceVersion, base_url: str, bound: Collection[int] = frozenset()
) -> dict[str, Any]:
    """A published resource as a CKAN dataset (package)."""
    snapshot = version.snapshot
    cycle = snapshot.get("update_cycle")
    extras = [
        {"key": "resource_code", "value": version.code},
        {"key": "classification", "value": snapshot.get("classification", "")},
        {"key": "open_type", "value": version.open_type},
        {
            "key": "update_cycle",
            "value": UPDATE_CYCLE_LABELS_ZH[UpdateCycle(cycle)] if cycle else "",
        },
        {"key": "version", "value": str(version.version)},
    ]
    if version.open_type == OpenType.CONDITIONAL.value:
        extras.append({"key": "open_conditions", "value": snapshot.get("open_conditions", "")})
    return {
        "id": str(version.resource_id),
        "name": dataset_name(version.code),
        "title": version.name,
        "notes": snapshot.get("summary", ""),
        "type": "dataset",
        "state": "active",
        "private": False,
        "author": version.provider_name,
        "maintainer": version.provider_name,
        "url": f"{base_url}/catalog/{version.resource_id}",
        "version": str(version.version),
        "metadata_created": _time(version.published_at),
        "metadata_modified": _time(version.published_at),
        "owner_org": str(version.provider_unit_id),
        "organization": _organization(version),
        "tags": [{"name": tag, "display_name": tag, "state": "active"} for tag in _tags(version)],
        "groups": (
            [
                {
                    "name": version.base_library,
                    "title": BASE_LIBRARY_LABELS_ZH[BaseLibrary(version.base_library)],
                }
            ]
            if version.base_library
            else []
        ),
        "extras": extras,
        "resources": [resource_dict(version, base_url, bound)],
        "num_resources": 1,
        "num_tags": len(_tags(version)),
        **LICENSE,
    }


def find_dataset(session: Session, name_or_id: str) -> ResourceVersion:
    """A public dataset by its CKAN name or its id; NotFound for anything else."""
    for version in _public_versions(session):
        if name_or_id in (dataset_name(version.code), str(version.resource_id)):
            return version
    raise NotFound(name_or_id)


def find_resource(session: Session, resource_id: str) -> ResourceVersion:
    if not resource_id.endswith("-data"):
        raise NotFound(resource_id)
    return find_dataset(session, resource_id.removesuffix("-data"))


def package_names(session: Session, offset: int, limit: int | None) -> list[str]:
    names = [dataset_name(v.code) for v in _public_versions(session)]
    return names[offset : None if limit is None else offset + limit]


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    fq: dict[str, list[str]] | None = None
    rows: int = 10
    start: int = 0
    sort: str = "score desc, metadata_modified desc"
    facet_fields: Sequence[str] = ()
    facet_limit: int = 50


FACET_FIELDS = ("organization", "tags", "groups", "res_format", "license_id")
_FQ_TERM = re.compile(r'(?:^|\s)\+?([a-z_]+):("(?:[^"]*)"|\S+)')


def parse_fq(fq: str) -> dict[str, list[str]]:
    """Solr-like `field:value` filters as CKAN clients send them (`organization:scjg
    tags:"信用体系"`); unknown fields are a validation error."""
    found: dict[str, list[str]] = {}
    for field, value in _FQ_TERM.findall(fq or ""):
        if field not in (*FACET_FIELDS, "name", "id"):
            raise ValidationError({"fq": [f"不支持的过滤字段：{field}"]})
        found.setdefault(field, []).append(value.strip('"'))
    return found


def _facet_values(package: dict[str, Any], field: str) -> list[str]:
    if field == "organization":
        return [package["organization"]["name"]]
    if field == "tags":
        return [t["name"] for t in package["tags"]]
    if field == "groups":
        return [g["name"] for g in package["groups"]]
    if field == "res_format":
        return [r["format"] for r in package["resources"]]
    if field in ("name", "id", "license_id"):
        return [str(package[field])]
    return []


def package_search(session: Session, query: SearchQuery, base_url: str) -> dict[str, Any]:
    """CKAN's package_search over the public datasets: words (jieba, as the catalog searches),
    filters, sorting, paging and facet counts."""
    if query.q.strip() and query.q.strip() != "*:*":
        hits = catalog.search(session, query.q, Facets(), 0, MAX_DATASETS).hits
        public = {t.value for t in PUBLIC_OPEN_TYPES}
        versions = [hit.version for hit in hits if hit.version.open_type in public]
    else:
        versions = _public_versions(session)
    bound = bound_ids(session)
    packages = [package_dict(v, base_url, bound) for v in versions]
    for field, values in (query.fq or {}).items():
        packages = [p for p in packages if set(values) & set(_facet_values(p, field))]
    if query.sort.startswith(("title_string", "name")):
        key = "title" if query.sort.startswith("title") else "name"
        packages.sort(key=lambda p: str(p[key]), reverse=query.sort.endswith("desc"))
    elif query.sort.startswith("metadata_modified"):
        packages.sort(key=lambda p: str(p["metadata_modified"]), reverse="desc" in query.sort)
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    for field in query.facet_fields:
        counts = Counter(v for p in packages for v in _facet_values(p, field))
        top = dict(counts.most_common(query.facet_limit))
        facets[field] = top
        search_facets[field] = {
            "title": field,
            "items": [{"name": k, "display_name": k, "count": n} for k, n in top.items()],
        }
    return {
        "count": len(packages),
        "results": packages[query.start : query.start + query.rows],
        "sort": query.sort,
        "facets": facets,
        "search_facets": search_facets,
    }


def organizations(session: Session) -> list[dict[str, Any]]:
    """Each unit that opens data, with how many datasets."""
    seen: dict[str, dict[str, Any]] = {}
    for version in _public_versions(session):
        org = _organization(version)
        entry = seen.setdefault(org["name"], {**org, "package_count": 0})
        entry["package_count"] += 1
    return sorted(seen.values(), key=lambda o: str(o["name"]))


def organization(session: Session, name_or_id: str, base_url: str) -> dict[str, Any]:
    for org in organizations(session):
        if name_or_id in (org["name"], org["id"]):
            packages = [
                package_dict(v, base_url, bound_ids(session))
                for v in _public_versions(session)
                if str(v.provider_unit_id) == org["id"]
            ]
            return {**org, "packages": packages}
    raise NotFound(name_or_id)


def groups(session: Session) -> list[dict[str, Any]]:
    """The base libraries (人口, 法人 …) the open datasets feed, as CKAN groups."""
    counts = Counter(v.base_library for v in _public_versions(session) if v.base_library)
    return [
        {"id": name, "name": name, "title": BASE_LIBRARY_LABELS_ZH[BaseLibrary(name)],
         "type": "group", "is_organization": False, "state": "active", "package_count": n}
        for name, n in sorted(counts.items())
    ]  # fmt: skip


def tags(session: Session) -> list[str]:
    return sorted({tag for v in _public_versions(session) for tag in _tags(v)})
