"""Managing the item catalog through the API: create, update (a new version), withdraw an
item, and declare a workflow as data.

A unit manages only its own items; the big-data bureau (who holds `exchange.coordinate`, the
city-wide coordination permission) manages all. Every change is in the ledger.

What a submitted case keeps when its item changes: its materials, form, fee and deadline are
copied into the case at submission; the workflow and the implementing unit are read while the
case runs, so they cannot change while a case of the item is open (409), nor can materials
that cases already refer to. Withdrawing stops new applications; running cases go on.
Workflows are never replaced once declared (an item moves to a new workflow code instead).
"""

from __future__ import annotations

import re
from dataclasses import astuple
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from zhuyun.catalog.service.views import published_view
from zhuyun.catalog.vocab import ResourceStatus
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.services.models import Case, CaseMaterial, ItemMaterial, ServiceItem, Workflow
from zhuyun.services.service import items, workflows

#: 行政区划代码-部门简称-事项类别-序号, e.g. 520100-RSJ-GG-0001
ITEM_CODE = re.compile(r"^\d{6}-[A-Z]{2,8}-[A-Z]{2}-\d{4}$")
APPLICANT_KINDS = ("person", "legal")


def _invalid(en: str, zh: str) -> Unprocessable:
    return Unprocessable(en, zh, code="bad-service-item")


def may_manage(principal: Principal, unit_id: int) -> bool:
    return principal.can(Permission.EXCHANGE_COORDINATE) or principal.unit_id == unit_id


def _require_manager(principal: Principal, unit_id: int) -> None:
    if not may_manage(principal, unit_id):
        raise Forbidden(
            "A unit manages only its own service items.",
            "只能管理本单位的政务服务事项。",
            code="not-your-item",
        )


def _check_fields(session: Session, draft: items.ItemDraft) -> None:
    """What the catalog's own check does not cover: code, limits, units, life events,
    applicant kinds, and materials that point to published resources and their info items."""
    if not ITEM_CODE.fullmatch(draft.code):
        raise _invalid(
            "An item code reads like 520100-RSJ-GG-0001 (division-unit-category-number).",
            "事项编码格式应为“行政区划代码-部门简称-类别-四位序号”，如 520100-RSJ-GG-0001。",
        )
    if draft.statutory_days < 1:
        raise _invalid(
            "The statutory limit is a positive number of working days.",
            "法定时限须为正整数个工作日。",
        )
    try:
        identity.get_unit(session, draft.unit_id)
    except NotFound as exc:
        raise _invalid(f"No unit {draft.unit_id}.", f"单位 {draft.unit_id} 不存在。") from exc
    if session.get(Workflow, draft.workflow_code) is None:
        raise _invalid(
            f"No workflow {draft.workflow_code}; declare it first.",
            f"流程 {draft.workflow_code} 不存在，请先声明流程。",
        )
    unknown_events = sorted(set(draft.life_events) - set(items.LIFE_EVENTS))
    if unknown_events:
        raise _invalid(
            f"Unknown life events: {', '.join(unknown_events)}.",
            f"未知的人生事件/企业事件：{'、'.join(unknown_events)}。",
        )
    if not draft.applicant_kinds or set(draft.applicant_kinds) - set(APPLICANT_KINDS):
        raise _invalid(
            "Applicants are person and/or legal.",
            "申请对象须为自然人（person）和/或法人（legal）。",
        )
    for material in draft.materials:
        if material.kind != "upload" and material.resource_id is not None:
            _check_resource(session, material)
    _check_form_fields(draft)


def _check_resource(session: Session, material: items.MaterialDraft) -> None:
    assert material.resource_id is not None
    try:
        view = published_view(session, material.resource_id)
    except NotFound as exc:
        raise _invalid(
            f"Material {material.name}: resource {material.resource_id} is not published.",
            f"材料“{material.name}”：目录资源 {material.resource_id} 不存在或未发布。",
        ) from exc
    if view.status != ResourceStatus.PUBLISHED:
        raise _invalid(
            f"Material {material.name}: resource {view.code} is retired.",
            f"材料“{material.name}”：目录资源 {view.code} 已停用。",
        )
    wanted = [*material.info_items, material.key_field or ""]
    missing = [name for name in wanted if name not in view.items]
    if missing:
        raise _invalid(
            f"Material {material.name}: {view.code} has no info items {', '.join(missing)}.",
            f"材料“{material.name}”：目录资源 {view.code} 没有信息项 {'、'.join(missing)}。",
        )


def _check_form_fields(draft: items.ItemDraft) -> None:
    names = [str(f.get("name")) for f in draft.form_fields]
    if len(set(names)) != len(names):
        raise _invalid("Form field names repeat.", "表单字段名重复。")
    for spec in draft.form_fields:
        prefill = spec.get("prefill")
        if prefill is None:
            continue
        position, info_item = prefill
        if not 1 <= position <= len(draft.materials) or info_item not in (
            draft.materials[position - 1].info_items
        ):
            raise _invalid(
                f"Field {spec.get('name')} is prefilled from no such material info item.",
                f"字段“{spec.get('label')}”的预填来源（材料序号与信息项）不存在。",
            )


def _replay(session: Session, principal: Principal, key: str) -> ServiceItem | None:
    return session.scalar(
        select(ServiceItem).where(
            ServiceItem.created_by == principal.account_id, ServiceItem.idempotency_key == key
        )
    )


def create_item(
    session: Session, principal: Principal, draft: items.ItemDraft, idempotency_key: str
) -> tuple[ServiceItem, bool]:
    """Publish a new item for the principal's unit; a replayed key answers the same item."""
    existing = _replay(session, principal, idempotency_key)
    if existing is not None:
        return existing, False
    _require_manager(principal, draft.unit_id)
    _check_fields(session, draft)
    item = items.publish_item(session, principal.as_actor(), draft)
    item.created_by, item.idempotency_key = principal.account_id, idempotency_key
    session.flush()
    return item, True


def _open_cases(session: Session, item_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.item_id == item_id, Case.closed_at.is_(None))
        )
        or 0
    )


def _material_drafts(session: Session, item_id: int) -> list[items.MaterialDraft]:
    return [
        items.MaterialDraft(
            m.name,
            m.kind,
            m.resource_id,
            m.key_field,
            m.key_source,
            tuple(m.info_items),
            dict(m.fixed_filters),
            m.required,
            m.note,
        )
        for m in items.materials_of(session, item_id)
    ]


def _same_materials(a: list[items.MaterialDraft], b: list[items.MaterialDraft]) -> bool:
    def key(m: items.MaterialDraft) -> tuple[Any, ...]:
        return tuple(
            tuple(v)
            if isinstance(v, list | tuple)
            else sorted(v.items())
            if isinstance(v, dict)
            else v
            for v in astuple(m)
        )

    return [key(m) for m in a] == [key(m) for m in b]


def update_item(
    session: Session, principal: Principal, code: str, draft: items.ItemDraft
) -> ServiceItem:
    """Replace an item's fields as its next version (see the module's note on cases)."""
    item = items.get_item(session, code)
    _require_manager(principal, item.unit_id)
    _require_manager(principal, draft.unit_id)
    if draft.code != code:
        raise _invalid("An item's code does not change.", "事项编码不可修改。")
    _check_fields(session, draft)
    items.check_draft(session, draft)
    open_cases = _open_cases(session, item.id)
    if open_cases and (draft.workflow_code, draft.unit_id) != (item.workflow_code, item.unit_id):
        raise Conflict(
            f"{open_cases} open cases follow this item's workflow and unit; change them when "
            "those cases are closed, or withdraw the item and publish a new one.",
            f"该事项尚有 {open_cases} 件办件在办，办结前不能更换流程或实施单位；"
            "可撤销本事项后发布新事项。",
            code="item-in-use",
        )
    changed_materials = not _same_materials(
        _material_drafts(session, item.id), list(draft.materials)
    )
    if changed_materials:
        used = session.scalar(
            select(
                exists().where(
                    CaseMaterial.material_id.in_(
                        select(ItemMaterial.id).where(ItemMaterial.item_id == item.id)
                    )
                )
            )
        )
        if used:
            raise Conflict(
                "Cases refer to this item's materials; withdraw it and publish a new item "
                "to change them.",
                "已有办件引用本事项的材料，不能修改材料清单；可撤销本事项后发布新事项。",
                code="item-in-use",
            )
        session.execute(delete(ItemMaterial).where(ItemMaterial.item_id == item.id))
        for position, m in enumerate(draft.materials, start=1):
            session.add(
                ItemMaterial(
                    item_id=item.id,
                    position=position,
                    name=m.name,
                    kind=m.kind,
                    required=m.required,
                    resource_id=m.resource_id,
                    key_field=m.key_field,
                    key_source=m.key_source,
                    info_items=list(m.info_items),
                    fixed_filters=dict(m.fixed_filters),
                    note=m.note,
                )
            )
    fields = {
        "name": draft.name,
        "item_type": draft.item_type,
        "unit_id": draft.unit_id,
        "joint": draft.joint,
        "legal_basis": draft.legal_basis,
        "conditions": draft.conditions,
        "life_events": list(draft.life_events),
        "life_event_tags": "|" + "|".join(draft.life_events) + "|",
        "applicant_kinds": list(draft.applicant_kinds),
        "statutory_days": draft.statutory_days,
        "promised_days": draft.promised_days,
        "fee_fen": draft.fee_fen,
        "fee_basis": draft.fee_basis,
        "online_depth": draft.online_depth,
        "visits": items.ONLINE_DEPTHS[draft.online_depth],
        "immediate": draft.immediate,
        "workflow_code": draft.workflow_code,
        "power_code": draft.power_code,
        "certificate_kind": draft.certificate_kind,
        "form_fields": [dict(f) for f in draft.form_fields],
    }
    changed = sorted(name for name, value in fields.items() if getattr(item, name) != value)
    if changed_materials:
        changed.append("materials")
    for name, value in fields.items():
        setattr(item, name, value)
    item.version += 1
    record(
        session,
        principal.as_actor(),
        "services.item_updated",
        Subject("service_item", item.code),
        {"version": item.version, "changed": changed, "open_cases": open_cases},
    )
    session.flush()
    return item


def withdraw_item(session: Session, principal: Principal, code: str, reason: str) -> ServiceItem:
    """Take an item off the catalog: no new applications; its running cases go on."""
    item = items.get_item(session, code)
    _require_manager(principal, item.unit_id)
    if item.withdrawn_at is not None:
        raise Conflict(
            f"Item {code} is already withdrawn.", f"事项 {code} 已撤销。", code="item-withdrawn"
        )
    item.withdrawn_at = utcnow()
    record(
        session,
        principal.as_actor(),
        "services.item_withdrawn",
        Subject("service_item", item.code),
        {"reason": reason, "open_cases": _open_cases(session, item.id)},
    )
    session.flush()
    return item


def _bad_workflow(en: str, zh: str) -> Unprocessable:
    return Unprocessable(en, zh, code="bad-workflow")


def declare_workflow(
    session: Session, principal: Principal, code: str, name: str, definition: dict[str, Any]
) -> Workflow:
    """A new workflow from its data, refused when its graph could not run."""
    if session.get(Workflow, code) is not None:
        raise Conflict(
            f"Workflow {code} exists; declare a new code instead of changing a running one.",
            f"流程 {code} 已存在；流程一经声明不再修改，请以新的流程代码声明。",
            code="workflow-exists",
        )
    for raw in definition.get("steps", ()):
        branches = raw.get("branches")
        if branches is not None and not branches:
            raise _bad_workflow(
                f"Step {raw.get('code')} declares branches but lists none.",
                f"环节 {raw.get('code')} 声明了并联分支，但分支为空。",
            )
        branch_codes = [b.get("code") for b in branches or ()]
        if len(set(branch_codes)) != len(branch_codes):
            raise _bad_workflow(
                f"Branch codes of step {raw.get('code')} repeat.",
                f"环节 {raw.get('code')} 的分支代码重复。",
            )
    spec = workflows.parse(code, name, definition)
    unknown = sorted(u for u in spec.unit_codes() if identity.find_unit_by_code(session, u) is None)
    if unknown:
        raise _bad_workflow(
            f"Unknown unit codes: {', '.join(unknown)}.", f"未知的单位代码：{'、'.join(unknown)}。"
        )
    return items.save_workflow(session, principal.as_actor(), spec)
