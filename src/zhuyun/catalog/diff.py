"""What changed between two versions of a resource, field by field and item by item.

Both sides are snapshots (`ResourceBody` as a dict). The result is a flat list of changes
`{"field", "label", "before", "after"}`, which the ledger, the versions API and the pages
show as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIELD_LABELS_ZH = {
    "code": "资源代码",
    "class_code": "类",
    "item_code": "项",
    "catalogue_code": "目",
    "detail_code": "细目",
    "sequence_code": "顺序码",
    "name": "资源名称",
    "provider_unit_id": "提供方",
    "provider_name": "提供方名称",
    "provider_code": "提供方代码",
    "summary": "摘要",
    "format": "资源格式",
    "share_type": "共享类型",
    "share_conditions": "共享条件",
    "share_method": "共享方式",
    "legal_basis": "不予共享依据",
    "open_type": "开放类型",
    "open_conditions": "开放条件",
    "update_cycle": "更新周期",
    "base_library": "基础库",
    "themes": "主题",
    "related_codes": "关联资源",
}
ITEM_LABELS_ZH = {
    "name": "名称",
    "data_type": "数据类型",
    "description": "说明",
    "share_type": "共享类型",
    "sensitivity": "分级",
    "mask_kind": "脱敏方式",
}
_IGNORED = {"classification", "items"}


def _change(field: str, label: str, before: Any, after: Any) -> dict[str, Any]:
    return {"field": field, "label": label, "before": before, "after": after}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every difference between two snapshots, metadata first, then items."""
    changes = [
        _change(field, FIELD_LABELS_ZH.get(field, field), before.get(field), after.get(field))
        for field in after
        if field not in _IGNORED and before.get(field) != after.get(field)
    ]
    old = {item["field"]: item for item in before.get("items", [])}
    new = {item["field"]: item for item in after.get("items", [])}
    added = [field for field in new if field not in old]
    removed = [field for field in old if field not in new]
    if added:
        changes.append(_change("items.added", "新增信息项", None, added))
    if removed:
        changes.append(_change("items.removed", "删除信息项", removed, None))
    for field, item in new.items():
        if field not in old:
            continue
        for attr, label in ITEM_LABELS_ZH.items():
            if old[field].get(attr) != item.get(attr):
                changes.append(
                    _change(
                        f"items.{field}.{attr}",
                        f"信息项“{item.get('name') or field}”的{label}",
                        old[field].get(attr),
                        item.get(attr),
                    )
                )
    order_before = [f for f in old if f in new]
    order_after = [f for f in new if f in old]
    if order_before != order_after:
        changes.append(_change("items.order", "信息项顺序", order_before, order_after))
    return changes
