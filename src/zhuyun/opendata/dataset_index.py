"""The public datasets as an in-process index: what the open-data portal lists, counts,
searches, filters, facets and sorts — every public dataset, no cap.

A published version never changes, so each is read (through the catalog's feed) and parsed
once; which versions are current is checked on every call with one query on a covering index
(how many, the highest id, the sum of ids), and the index is rebuilt — reading only versions
it has not seen — when that changes. Filters, facet counts, sorting and paging run over the
index's postings; a search's words are matched by the catalog's own search terms (one query,
cached per catalog state).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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
from zhuyun.exchange.service.policy import OPENED_SENSITIVITIES

PUBLIC_OPEN_TYPES = (OpenType.OPEN, OpenType.CONDITIONAL)
FACET_FIELDS = ("organization", "tags", "groups", "res_format", "license_id")
LICENSE_ID = "cc-by"
_SEARCHES_CACHED = 256  # searches remembered per catalog state


def dataset_name(code: str) -> str:
    """A catalog code (105001/000001) as a CKAN name: lower case, digits and dashes."""
    front, _, sequence = code.partition("/")
    return f"zy-{front}-{sequence}"


def publication_time(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


# -- a dataset, parsed once from its published version ---------------------------------------


@dataclass(frozen=True, slots=True)
class Dataset:
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


def dataset_of_row(
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
) -> Dataset:
    tags = list(snapshot.get("themes") or [])
    if base_library:
        tags.append(BASE_LIBRARY_LABELS_ZH[BaseLibrary(base_library)])
    cycle = snapshot.get("update_cycle")
    fmt = snapshot.get("format") or ResourceFormat.DATABASE.value
    org_code = str(snapshot.get("provider_code") or provider_unit_id)
    return Dataset(
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
        published=publication_time(published_at),
    )


def dataset_of_version(version: ResourceVersion) -> Dataset:
    return dataset_of_row(
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


# -- the index of public datasets -------------------------------------------------------------

_SORT_KEYS = ("title", "name", "metadata_modified")


@dataclass
class DatasetIndex:
    """The public datasets in code order, with what search, filters and facets need."""

    signature: tuple[int, int, int]
    datasets: list[Dataset]
    by_name: dict[str, int]  # CKAN name or resource id → position
    by_resource: dict[int, int]  # resource id → position
    postings: dict[str, dict[str, frozenset[int]]]  # fq/facet field → value → positions
    orders: dict[tuple[str, bool], list[int]]  # (sort key, descending) → positions
    searches: OrderedDict[str, list[int]] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def sort_value(dataset: Dataset, key: str) -> str:
    if key == "title":
        return dataset.title
    if key == "name":
        return dataset.name
    return dataset.published


def facet_values(dataset: Dataset, name: str) -> Iterable[str]:
    if name == "organization":
        return (dataset.org_name,)
    if name == "tags":
        return dataset.tags
    if name == "groups":
        return (dataset.base_library,) if dataset.base_library else ()
    if name == "res_format":
        return ("CSV",)
    if name == "license_id":
        return (LICENSE_ID,)
    if name == "name":
        return (dataset.name,)
    if name == "id":
        return (str(dataset.resource_id),)
    return ()


def _ordered(datasets: Sequence[Dataset], key: str, descending: bool) -> list[int]:
    return sorted(
        range(len(datasets)), key=lambda p: sort_value(datasets[p], key), reverse=descending
    )


def _build(signature: tuple[int, int, int], datasets: list[Dataset]) -> DatasetIndex:
    datasets.sort(key=lambda d: d.code)
    postings: dict[str, dict[str, set[int]]] = {}
    for name in (*FACET_FIELDS, "name", "id"):
        values: dict[str, set[int]] = {}
        for position, dataset in enumerate(datasets):
            for value in facet_values(dataset, name):
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
    return DatasetIndex(
        signature=signature,
        datasets=datasets,
        by_name=by_name,
        by_resource={d.resource_id: p for p, d in enumerate(datasets)},
        postings={n: {v: frozenset(p) for v, p in vs.items()} for n, vs in postings.items()},
        orders=orders,
    )


@dataclass
class _Cache:
    index: DatasetIndex | None = None
    datasets: dict[tuple[int, datetime], Dataset] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_caches_lock = threading.Lock()
_caches: weakref.WeakKeyDictionary[Engine, _Cache] = weakref.WeakKeyDictionary()


def _load(session: Session, cache: _Cache, signature: tuple[int, int, int]) -> DatasetIndex:
    keys = catalog_feed.current_keys(session, PUBLIC_OPEN_TYPES)
    missing = [key[0] for key in keys if key not in cache.datasets]
    loaded = {
        (row.id, row.published_at): dataset_of_row(*row)
        for row in catalog_feed.version_rows(session, missing)
    }
    known = {**cache.datasets, **loaded}
    cache.datasets = {key: known[key] for key in keys if key in known}
    return _build(signature, list(cache.datasets.values()))


def current_index(session: Session) -> DatasetIndex:
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


def search_positions(session: Session, index: DatasetIndex, text: str) -> list[int]:
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
