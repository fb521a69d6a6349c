"""The open-data portal's view of the catalog, in CKAN's shapes, so the tools people already
use with CKAN portals (ckanapi, harvesters, notebooks) work unchanged.

A dataset is a published catalog resource the government opens — without conditions or
with them (the data of the latter needs a developer key; its metadata is public). Nothing
closed, nothing of the internal sharing rules (share types, conditions, legal bases, mask
kinds) and no secret item ever appears here.

Every public dataset is listed, counted, searched and faceted — no cap. The datasets are
held per process as an index (`_index`): a published version never changes, so each is
read and parsed once; which versions are current is checked on every call with one query
on a covering index (how many, the highest id, the sum of ids), and the index is rebuilt —
reading only versions it has not seen — when that changes. Filters, facet counts, sorting
and paging run over the index's postings; a search's words are matched by the catalog's own
search terms (one query, cached per catalog state).
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhuyun.catalog.models import ResourceVersion
from zhuyun.catalog.search import ranked_matches
from zhuyun.catalog.service import feed as catalog_feed
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
# The most datasets one call lists (package_list without a limit, the DCAT export); page
# with offset/start past it. Searches, counts and facets always cover every dataset.
MAX_DATASETS = 100_000
CKAN_VERSION = "2.10.4"  # the Action API generation whose shapes these follow
LICENSE = {"license_id": "cc-by", "license_title": "知识共享署名 4.0（CC BY 4.0）"}
_SEARCHES_CACHED = 256  # searches remembered per catalog state

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


def dataset_name(code: str) -> str:
    """A catalog code (105001/000001) as a CKAN name: lower case, digits and dashes."""
    front, _, sequence = code.partition("/")
    return f"zy-{front}-{sequence}"


def _time(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


# -- a dataset, parsed once from its published version ---------------------------------------


@dataclass(frozen=True, slots=True)
class _Dataset:
    """What a CKAN dataset shows of one published version (which never changes)."""

    version_id: int
    resource_id: int
    version: int
    code: str
    name: str
    title: str
    notes: str
    provider_unit_id: int
    provider_name: str
    org_name: str
    tags: tuple[str, ...]
    base_library: str | None
    open_type: str
    open_conditions: str
    classification: str
    update_cycle: str
    resource_type: str
    fields: tuple[tuple[str, str, str], ...]  # opened items: (field, data type, label)
    published: str


def _dataset(
    version_id: int,
    resource_id: int,
    version: int,
    code: str,
    title: str,
    provider_unit_id: int,
    provider_name: str,
    open_type: str,
    base_library: str | None,
    published_at: datetime,
    snapshot: Mapping[str, Any],
) -> _Dataset:
    tags = list(snapshot.get("themes") or [])
    if base_library:
        tags.append(BASE_LIBRARY_LABELS_ZH[BaseLibrary(base_library)])
    cycle = snapshot.get("update_cycle")
    fmt = snapshot.get("format") or ResourceFormat.DATABASE.value
    org_code = str(snapshot.get("provider_code") or provider_unit_id)
    return _Dataset(
        version_id=version_id,
        resource_id=resource_id,
        version=version,
        code=code,
        name=dataset_name(code),
        title=title,
        notes=snapshot.get("summary", ""),
        provider_unit_id=provider_unit_id,
        provider_name=provider_name,
        org_name=org_code.lower().replace(".", "-"),
        tags=tuple(tags),
        base_library=base_library,
        open_type=open_type,
        open_conditions=snapshot.get("open_conditions", ""),
        classification=snapshot.get("classification", ""),
        update_cycle=UPDATE_CYCLE_LABELS_ZH[UpdateCycle(cycle)] if cycle else "",
        resource_type=FORMAT_LABELS_ZH[ResourceFormat(fmt)],
        fields=tuple(
            (item["field"], item["data_type"], item["name"])
            for item in snapshot.get("items", [])
            if item.get("sensitivity") in OPENED_SENSITIVITIES  # never sensitive or secret ones
        ),
        published=_time(published_at),
    )


def _of_version(version: ResourceVersion) -> _Dataset:
    return _dataset(
        version.id,
        version.resource_id,
        version.version,
        version.code,
        version.name,
        version.provider_unit_id,
        version.provider_name,
        version.open_type,
        version.base_library,
        version.published_at,
        version.snapshot,
    )


def _organization(dataset: _Dataset) -> dict[str, Any]:
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


def _resource(dataset: _Dataset, base_url: str, bound: Collection[int]) -> dict[str, Any]:
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


def _package(dataset: _Dataset, base_url: str, bound: Collection[int]) -> dict[str, Any]:
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
    return _resource(_of_version(version), base_url, bound)


def package_dict(
    version: ResourceVersion, base_url: str, bound: Collection[int] = frozenset()
) -> dict[str, Any]:
    """A published resource as a CKAN dataset (package)."""
    return _package(_of_version(version), base_url, bound)


# -- the index of public datasets -------------------------------------------------------------

_SORT_KEYS = ("title", "name", "metadata_modified")


@dataclass
class _Index:
    """The public datasets in code order, with what search, filters and facets need."""

    signature: tuple[int, int, int]
    datasets: list[_Dataset]
    by_name: dict[str, int]  # CKAN name or resource id → position
    by_resource: dict[int, int]  # resource id → position
    postings: dict[str, dict[str, frozenset[int]]]  # fq/facet field → value → positions
    orders: dict[tuple[str, bool], list[int]]  # (sort key, descending) → positions
    searches: OrderedDict[str, list[int]] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _sort_value(dataset: _Dataset, key: str) -> str:
    if key == "title":
        return dataset.title
    if key == "name":
        return dataset.name
    return dataset.published


def _facet_values(dataset: _Dataset, name: str) -> Iterable[str]:
    if name == "organization":
        return (dataset.org_name,)
    if name == "tags":
        return dataset.tags
    if name == "groups":
        return (dataset.base_library,) if dataset.base_library else ()
    if name == "res_format":
        return ("CSV",)
    if name == "license_id":
        return (LICENSE["license_id"],)
    if name == "name":
        return (dataset.name,)
    if name == "id":
        return (str(dataset.resource_id),)
    return ()


def _ordered(datasets: Sequence[_Dataset], key: str, descending: bool) -> list[int]:
    return sorted(
        range(len(datasets)), key=lambda p: _sort_value(datasets[p], key), reverse=descending
    )


def _build(signature: tuple[int, int, int], datasets: list[_Dataset]) -> _Index:
    datasets.sort(key=lambda d: d.code)
    postings: dict[str, dict[str, set[int]]] = {}
    for name in (*FACET_FIELDS, "name", "id"):
        values: dict[str, set[int]] = {}
        for position, dataset in enumerate(datasets):
            for value in _facet_values(dataset, name):
                values.setdefault(value, set()).add(position)
        postings[name] = values
    # Sorted from code order, stable both ways (Python's sort keeps ties in order even
    # reversed), as CKAN's sort of the listed datasets was.
    orders = {
        (key, descending): _ordered(datasets, key, descending)
        for key in _SORT_KEYS
        for descending in (False, True)
    }
    by_name: dict[str, int] = {}
    for position, dataset in enumerate(datasets):
        by_name[str(dataset.resource_id)] = position
    for position, dataset in enumerate(datasets):
        by_name[dataset.name] = position  # a name wins over an id that looks like it
    return _Index(
        signature=signature,
        datasets=datasets,
        by_name=by_name,
        by_resource={d.resource_id: p for p, d in enumerate(datasets)},
        postings={n: {v: frozenset(p) for v, p in vs.items()} for n, vs in postings.items()},
        orders=orders,
    )


@dataclass
class _Cache:
    index: _Index | None = None
    datasets: dict[tuple[int, datetime], _Dataset] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_caches_lock = threading.Lock()
_caches: weakref.WeakKeyDictionary[Engine, _Cache] = weakref.WeakKeyDictionary()


def _load(session: Session, cache: _Cache, signature: tuple[int, int, int]) -> _Index:
    keys = catalog_feed.current_keys(session, PUBLIC_OPEN_TYPES)
    missing = [key[0] for key in keys if key not in cache.datasets]
    loaded = {
        (row.id, row.published_at): _dataset(*row)
        for row in catalog_feed.version_rows(session, missing)
    }
    known = {**cache.datasets, **loaded}
    cache.datasets = {key: known[key] for key in keys if key in known}
    return _build(signature, list(cache.datasets.values()))


def _index(session: Session) -> _Index:
    """The public datasets as they stand in `session`'s view of the catalog."""
    engine = session.get_bind().engine
    with _caches_lock:
        cache = _caches.setdefault(engine, _Cache())
    signature = catalog_feed.current_signature(session)
    index = cache.index
    if index is not None and index.signature == signature:
        return index
    with cache.lock:
        index = cache.index
        if index is None or index.signature != signature:
            index = _load(session, cache, signature)
            cache.index = index
    return index


def _search(session: Session, index: _Index, text: str) -> list[int]:
    """Positions of the datasets matching `text` as the catalog's search matches it (every
    word), best first (summed weights of the terms hit, then code)."""
    with index.lock:
        found = index.searches.get(text)
        if found is not None:
            index.searches.move_to_end(text)
            return found
    hits = ranked_matches(session, text)
    ranked = sorted(
        (-int(points), index.by_resource[resource_id])
        for resource_id, points in hits
        if resource_id in index.by_resource
    )
    found = [position for _, position in ranked]
    with index.lock:
        index.searches[text] = found
        while len(index.searches) > _SEARCHES_CACHED:
            index.searches.popitem(last=False)
    return found


# -- the Action API's reads -------------------------------------------------------------------


def find_dataset(session: Session, name_or_id: str) -> ResourceVersion:
    """A public dataset by its CKAN name or its id; NotFound for anything else."""
    index = _index(session)
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
    datasets = _index(session).datasets
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


FACET_FIELDS = ("organization", "tags", "groups", "res_format", "license_id")
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
    index = _index(session)
    selected: set[int] | frozenset[int] | None = None  # None: every dataset
    ranked: list[int] | None = None
    text = query.q.strip()
    if text and text != "*:*":
        ranked = _search(session, index, text)
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
            order = sorted(ranked, key=lambda p: _sort_value(index.datasets[p], sort[0]),
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
    for dataset in _index(session).datasets:
        entry = seen.setdefault(dataset.org_name, {**_organization(dataset), "package_count": 0})
        entry["package_count"] += 1
    return sorted(seen.values(), key=lambda o: str(o["name"]))


def organization(session: Session, name_or_id: str, base_url: str) -> dict[str, Any]:
    for org in organizations(session):
        if name_or_id in (org["name"], org["id"]):
            bound = bound_ids(session)
            packages = [
                _package(d, base_url, bound)
                for d in _index(session).datasets
                if str(d.provider_unit_id) == org["id"]
            ]
            return {**org, "packages": packages}
    raise NotFound(name_or_id)


def groups(session: Session) -> list[dict[str, Any]]:
    """The base libraries (人口, 法人 …) the open datasets feed, as CKAN groups."""
    counts = Counter(d.base_library for d in _index(session).datasets if d.base_library)
    return [
        {"id": name, "name": name, "title": BASE_LIBRARY_LABELS_ZH[BaseLibrary(name)],
         "type": "group", "is_organization": False, "state": "active", "package_count": n}
        for name, n in sorted(counts.items())
    ]  # fmt: skip


def tags(session: Session) -> list[str]:
    return sorted({tag for d in _index(session).datasets for tag in d.tags})
