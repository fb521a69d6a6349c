"""The service item catalog (政务服务事项): publishing items, finding them, reading one.

An item's materials say how the platform obtains each: `shared` (a catalog resource read
through the exchange gateway), `certificate` (the electronic-certificate library, read the
same way) or `upload` (the applicant provides it). Items are public: anyone may browse them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.services.models import ItemMaterial, ServiceItem, Workflow
from zhuyun.services.service import workflows

ITEM_TYPES = (
    "行政许可",
    "行政给付",
    "行政确认",
    "行政征收",
    "行政裁决",
    "行政奖励",
    "其他行政权力",
    "公共服务",
)
ONLINE_DEPTHS = {"全程网办": 0, "最多跑一次": 1, "跑两次以上": 2}
MATERIAL_KINDS = {"shared": "共享获取", "certificate": "电子证照", "upload": "申请人上传"}
KEY_SOURCES = ("applicant.id_number", "applicant.credit_code")
LIFE_EVENTS = (
    "出生",
    "上学",
    "就业",
    "婚育",
    "住房",
    "社会保障",
    "医疗",
    "退休养老",
    "开办企业",
    "企业变更",
    "经营许可",
    "身后事",
)


@dataclass(frozen=True)
class MaterialDraft:
    name: str
    kind: str
    resource_id: int | None = None
    key_field: str | None = None
    key_source: str | None = None  # applicant.id_number, applicant.credit_code or form.<name>
    info_items: Sequence[str] = ()
    fixed_filters: dict[str, str] = field(default_factory=dict)  # e.g. {"kind": "HJZM"}
    required: bool = True
    note: str | None = None


@dataclass(frozen=True)
class ItemDraft:
    code: str
    name: str
    item_type: str
    unit_id: int
    legal_basis: str
    conditions: str
    statutory_days: int
    promised_days: int
    online_depth: str
    workflow_code: str
    materials: Sequence[MaterialDraft]
    life_events: Sequence[str] = ()
    applicant_kinds: Sequence[str] = ("person",)
    fee_fen: int = 0
    fee_basis: str | None = None
    immediate: bool = False
    joint: bool = False
    power_code: str | None = None
    certificate_kind: str | None = None  # a kind of the certificate library the result is
    form_fields: Sequence[dict[str, Any]] = field(default_factory=tuple)


def _invalid(en: str, zh: str) -> Unprocessable:
    return Unprocessable(en, zh, code="bad-service-item")


def save_workflow(session: Session, actor: Actor, spec: workflows.WorkflowSpec) -> Workflow:
    """Store (or replace) a workflow declared as data; ledgered."""
    definition = workflows.definition_of(spec)
    workflows.parse(spec.code, spec.name, definition)  # refuse what the engine cannot run
    row = session.get(Workflow, spec.code)
    if row is None:
        row = Workflow(code=spec.code, name=spec.name, definition=definition)
        session.add(row)
    else:
        row.name, row.definition = spec.name, definition
    record(
        session,
        actor,
        "services.workflow_saved",
        Subject("service_workflow", spec.code),
        {"steps": [s.code for s in spec.steps]},
    )
    return row


def workflow_spec(session: Session, code: str) -> workflows.WorkflowSpec:
    row = session.get(Workflow, code)
    if row is None:
        raise NotFound(f"No workflow {code}.", f"流程 {code} 不存在。", code="workflow-not-found")
    return workflows.parse(row.code, row.name, row.definition)


def check_draft(session: Session, draft: ItemDraft) -> None:
    """Refuse a draft whose type, depth, limits, workflow or materials are not valid."""
    if draft.item_type not in ITEM_TYPES:
        raise _invalid(
            f"Unknown item type {draft.item_type}.", f"未知的事项类型 {draft.item_type}。"
        )
    if draft.online_depth not in ONLINE_DEPTHS:
        raise _invalid(
            f"Unknown online depth {draft.online_depth}.", f"未知的网办深度 {draft.online_depth}。"
        )
    if not 0 <= draft.promised_days <= draft.statutory_days:
        raise _invalid(
            "The promised limit is between 0 and the statutory limit.",
            "承诺时限须在 0 与法定时限之间。",
        )
    if draft.immediate and draft.promised_days != 0:
        raise _invalid("An immediate item promises 0 days.", "即办件的承诺时限为 0 个工作日。")
    workflow_spec(session, draft.workflow_code)
    for material in draft.materials:
        if material.kind not in MATERIAL_KINDS:
            raise _invalid(
                f"Unknown material kind {material.kind}.", f"未知的材料类型 {material.kind}。"
            )
        if material.kind != "upload":
            source = material.key_source or ""
            if not (material.resource_id and material.key_field and material.info_items) or not (
                source in KEY_SOURCES or source.startswith("form.")
            ):
                raise _invalid(
                    f"Material {material.name} names no resource, key and info items to fetch.",
                    f"材料“{material.name}”未写明共享资源、查询键和信息项。",
                )


def publish_item(session: Session, actor: Actor, draft: ItemDraft) -> ServiceItem:
    """Add an item to the catalog with its materials; ledgered."""
    check_draft(session, draft)
    if session.scalar(select(ServiceItem.id).where(ServiceItem.code == draft.code)):
        raise Unprocessable(
            f"Item {draft.code} exists.", f"事项编码 {draft.code} 已存在。", code="item-exists"
        )
    item = ServiceItem(
        code=draft.code,
        name=draft.name,
        item_type=draft.item_type,
        unit_id=draft.unit_id,
        joint=draft.joint,
        legal_basis=draft.legal_basis,
        conditions=draft.conditions,
        life_events=list(draft.life_events),
        life_event_tags="|" + "|".join(draft.life_events) + "|",
        applicant_kinds=list(draft.applicant_kinds),
        statutory_days=draft.statutory_days,
        promised_days=draft.promised_days,
        fee_fen=draft.fee_fen,
        fee_basis=draft.fee_basis,
        online_depth=draft.online_depth,
        visits=ONLINE_DEPTHS[draft.online_depth],
        immediate=draft.immediate,
        workflow_code=draft.workflow_code,
        power_code=draft.power_code,
        certificate_kind=draft.certificate_kind,
        form_fields=[dict(f) for f in draft.form_fields],
    )
    session.add(item)
    session.flush()
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
    record(
        session,
        actor,
        "services.item_published",
        Subject("service_item", draft.code),
        {"name": draft.name, "unit_id": draft.unit_id, "power_code": draft.power_code},
    )
    return item


@dataclass(frozen=True)
class ItemQuery:
    q: str | None = None
    life_event: str | None = None
    unit_id: int | None = None
    item_type: str | None = None
    immediate: bool | None = None


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_items(
    session: Session, query: ItemQuery, offset: int, limit: int
) -> tuple[list[ServiceItem], int]:
    """A page of items matching a keyword (name or code), unit, type or life event."""
    conditions: list[Any] = [ServiceItem.withdrawn_at.is_(None)]  # withdrawn: not offered
    if query.q:
        for word in query.q.split()[:5]:
            pattern = f"%{_escape(word)}%"
            conditions.append(
                or_(
                    ServiceItem.name.like(pattern, escape="\\"),
                    ServiceItem.code.like(pattern, escape="\\"),
                    ServiceItem.conditions.like(pattern, escape="\\"),
                )
            )
    if query.unit_id is not None:
        conditions.append(ServiceItem.unit_id == query.unit_id)
    if query.item_type:
        conditions.append(ServiceItem.item_type == query.item_type)
    if query.immediate is not None:
        conditions.append(ServiceItem.immediate == query.immediate)
    if query.life_event:
        # `|出生|上学|`: one LIKE that means the same on SQLite and PostgreSQL
        event = _escape(query.life_event.replace("|", ""))
        conditions.append(ServiceItem.life_event_tags.like(f"%|{event}|%", escape="\\"))
    total = session.scalar(select(func.count()).select_from(ServiceItem).where(*conditions)) or 0
    rows = session.scalars(
        select(ServiceItem)
        .where(*conditions)
        .order_by(ServiceItem.code)
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def get_item(session: Session, code: str) -> ServiceItem:
    item = session.scalar(select(ServiceItem).where(ServiceItem.code == code))
    if item is None:
        raise NotFound(f"No service item {code}.", f"事项 {code} 不存在。", code="item-not-found")
    return item


def materials_of(session: Session, item_id: int) -> list[ItemMaterial]:
    return list(
        session.scalars(
            select(ItemMaterial)
            .where(ItemMaterial.item_id == item_id)
            .order_by(ItemMaterial.position)
        )
    )


def spared_count(materials: Sequence[ItemMaterial]) -> int:
    """Materials the applicant never carries: those the platform fetches itself."""
    return sum(1 for m in materials if m.kind != "upload")
