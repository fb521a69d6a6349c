"""Facet counts of a search with the Chinese label of every value, for the API and pages."""

from __future__ import annotations

from zhuyun.catalog.classification import CLASS_LABELS_ZH
from zhuyun.catalog.schemas import FacetCount
from zhuyun.catalog.search import SearchResult
from zhuyun.catalog.vocab import (
    BASE_LIBRARY_LABELS_ZH,
    OPEN_TYPE_LABELS_ZH,
    SHARE_TYPE_LABELS_ZH,
)

FACET_TITLES_ZH = {
    "share_type": "共享类型",
    "open_type": "开放类型",
    "base_library": "基础库",
    "class_code": "资源分类",
    "provider_unit_id": "提供方",
}
_LABELS: dict[str, dict[str, str]] = {
    "share_type": {k.value: v for k, v in SHARE_TYPE_LABELS_ZH.items()},
    "open_type": {k.value: v for k, v in OPEN_TYPE_LABELS_ZH.items()},
    "base_library": {k.value: v + "库" for k, v in BASE_LIBRARY_LABELS_ZH.items()},
    "class_code": CLASS_LABELS_ZH,
}


def facet_counts(result: SearchResult) -> dict[str, list[FacetCount]]:
    """Every facet's values with their labels and counts: vocabularies in their own order
    (无条件, 有条件, 不予 …), providers most frequent first."""
    labelled: dict[str, list[FacetCount]] = {}
    for name, counts in result.facets.items():
        if name == "provider_unit_id":
            labels = {str(k): v for k, v in result.provider_names.items()}
            ordered = list(counts)
        else:
            labels = _LABELS[name]
            order = list(labels)
            ordered = sorted(counts, key=lambda c: order.index(c[0]) if c[0] in order else 99)
        labelled[name] = [
            FacetCount(value=value, label=labels.get(value, value), count=n) for value, n in ordered
        ]
    return labelled
