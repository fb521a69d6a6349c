"""A resource's working copy as a draft (to merge changes into) and as a snapshot (what a
published version keeps, and what diffs compare)."""

from __future__ import annotations

from typing import Any

from zhuyun.catalog.classification import Classification
from zhuyun.catalog.models import Resource
from zhuyun.catalog.schemas import ItemDraft, ItemPublic, ResourceBody, ResourceDraft


def draft_of(resource: Resource) -> ResourceDraft:
    """The working copy as the draft that would recreate it; an item whose share type equals
    the resource's is written as inheriting it."""
    return ResourceDraft.model_validate(
        {
            "provider_unit_id": resource.provider_unit_id,
            "name": resource.name,
            "class_code": resource.class_code,
            "item_code": resource.item_code,
            "catalogue_code": resource.catalogue_code,
            "detail_code": resource.detail_code,
            "sequence_code": resource.sequence_code,
            "provider_code": resource.provider_code,
            "summary": resource.summary,
            "format": resource.format,
            "share_type": resource.share_type,
            "share_conditions": resource.share_conditions,
            "share_method": resource.share_method,
            "legal_basis": resource.legal_basis,
            "open_type": resource.open_type,
            "open_conditions": resource.open_conditions,
            "update_cycle": resource.update_cycle,
            "base_library": resource.base_library,
            "themes": list(resource.themes or []),
            "related_codes": list(resource.related_codes or []),
            "items": [
                ItemDraft(
                    field=item.field,
                    name=item.name,
                    data_type=item.data_type,  # type: ignore[arg-type]
                    description=item.description,
                    share_type=None if item.share_type == resource.share_type else item.share_type,  # type: ignore[arg-type]
                    sensitivity=item.sensitivity,  # type: ignore[arg-type]
                    mask_kind=item.mask_kind,  # type: ignore[arg-type]
                )
                for item in resource.items
            ],
        }
    )


def classification_text(resource: Resource) -> str:
    """类 / 项 in Chinese, e.g. 部门信息资源 / 省（自治区、直辖市）及其下各级政务部门."""
    c = Classification(resource.class_code, resource.item_code, resource.catalogue_code)
    return " / ".join(label for label in c.labels if label)


def working_snapshot(resource: Resource, provider_name: str) -> dict[str, Any]:
    """The working copy as a published version would keep it (JSON-ready)."""
    body = ResourceBody(
        code=resource.code,
        class_code=resource.class_code,
        item_code=resource.item_code,
        catalogue_code=resource.catalogue_code,
        detail_code=resource.detail_code,
        sequence_code=resource.sequence_code,
        classification=classification_text(resource),
        name=resource.name,
        provider_unit_id=resource.provider_unit_id,
        provider_name=provider_name,
        provider_code=resource.provider_code,
        summary=resource.summary,
        format=resource.format,
        share_type=resource.share_type,
        share_conditions=resource.share_conditions,
        share_method=resource.share_method,
        legal_basis=resource.legal_basis,
        open_type=resource.open_type,
        open_conditions=resource.open_conditions,
        update_cycle=resource.update_cycle,
        base_library=resource.base_library,
        themes=list(resource.themes or []),
        related_codes=list(resource.related_codes or []),
        items=[ItemPublic.model_validate(item) for item in resource.items],
    )
    return body.model_dump(mode="json")
