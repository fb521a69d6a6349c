"""Managing the service catalog through the API (`services.manage`): create, update and
withdraw items, declare workflows. Included in the services router (`api.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi import Path as PathParam

from zhuyun.core.errors import Unprocessable
from zhuyun.identity.deps import Allowed, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.services import views
from zhuyun.services.schemas import ItemDetail, ItemWithdraw, ItemWrite, WorkflowWrite
from zhuyun.services.service import item_management, items, workflows

router = APIRouter()

Manager = Annotated[Principal, Allowed(Permission.SERVICES_MANAGE)]
ItemCode = Annotated[str, PathParam(min_length=1, max_length=40, description="事项编码")]
IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=1, max_length=100, description="幂等键")
]


def _draft(body: ItemWrite, principal: Principal) -> items.ItemDraft:
    unit_id = body.unit_id or principal.unit_id
    if unit_id is None:
        raise Unprocessable(
            "Name the implementing unit (unit_id).",
            "请指定实施单位（unit_id）。",
            code="bad-service-item",
        )
    return items.ItemDraft(
        code=body.code,
        name=body.name,
        item_type=body.item_type,
        unit_id=unit_id,
        legal_basis=body.legal_basis,
        conditions=body.conditions,
        statutory_days=body.statutory_days,
        promised_days=body.promised_days,
        online_depth=body.online_depth,
        workflow_code=body.workflow_code,
        materials=[
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
            for m in body.materials
        ],
        life_events=tuple(body.life_events),
        applicant_kinds=tuple(body.applicant_kinds),
        fee_fen=body.fee_fen,
        fee_basis=body.fee_basis,
        immediate=body.immediate,
        joint=body.joint,
        power_code=body.power_code,
        certificate_kind=body.certificate_kind,
        form_fields=tuple(f.model_dump(exclude_none=True) for f in body.form_fields),
    )


@router.post("/items", response_model=ItemDetail, status_code=201)
def create_item(
    body: ItemWrite,
    response: Response,
    principal: Manager,
    session: SessionDep,
    idempotency_key: IdempotencyKey,
) -> ItemDetail:
    """Publish a new item of one's own unit; the same Idempotency-Key answers the same item."""
    item, created = item_management.create_item(
        session, principal, _draft(body, principal), idempotency_key.strip()
    )
    if not created:
        response.status_code = 200
    return views.item_detail(session, item)


@router.put("/items/{code}", response_model=ItemDetail)
def update_item(
    code: ItemCode, body: ItemWrite, principal: Manager, session: SessionDep
) -> ItemDetail:
    """Replace an item as its next version."""
    item = item_management.update_item(session, principal, code, _draft(body, principal))
    return views.item_detail(session, item)


@router.post("/items/{code}/withdraw", response_model=ItemDetail)
def withdraw_item(
    code: ItemCode, body: ItemWithdraw, principal: Manager, session: SessionDep
) -> ItemDetail:
    """Take an item off the catalog: no new applications, running cases go on."""
    item = item_management.withdraw_item(session, principal, code, body.reason)
    return views.item_detail(session, item)


@router.post("/workflows", status_code=201)
def declare_workflow(
    body: WorkflowWrite, principal: Manager, session: SessionDep
) -> dict[str, object]:
    """Declare a new workflow as data; a graph the engine could not run is refused."""
    definition = body.model_dump(exclude_none=True, include={"steps"})
    row = item_management.declare_workflow(session, principal, body.code, body.name, definition)
    spec = workflows.parse(row.code, row.name, row.definition)
    return {"code": spec.code, "name": spec.name, **workflows.definition_of(spec)}
