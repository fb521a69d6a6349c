"""The API's (and the pages') view of items and cases: one place that turns rows into the
schemas, so the JSON API and the HTML pages show the same things the same way."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from zhuyun.core.calendar import china_today
from zhuyun.core.ledger import LedgerQuery, list_entries
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Principal
from zhuyun.services.models import Case, ServiceItem
from zhuyun.services.schemas import (
    CaseDetail,
    CaseMaterialPublic,
    CasePublic,
    HistoryEntry,
    ItemDetail,
    ItemPublic,
    MaterialSpec,
    TaskPublic,
)
from zhuyun.services.service import cases, engine, items, ratings, workflows

HISTORY_LIMIT = 200


def item_public(
    session: Session, item: ServiceItem, names: dict[int, str] | None = None
) -> ItemPublic:
    names = names if names is not None else identity.unit_names(session, [item.unit_id])
    materials = items.materials_of(session, item.id)
    return ItemPublic(
        code=item.code,
        name=item.name,
        item_type=item.item_type,
        unit_id=item.unit_id,
        unit_name=names.get(item.unit_id),
        joint=item.joint,
        statutory_days=item.statutory_days,
        promised_days=item.promised_days,
        fee_yuan=item.fee_fen / 100,
        online_depth=item.online_depth,
        visits=item.visits,
        immediate=item.immediate,
        life_events=list(item.life_events),
        applicant_kinds=list(item.applicant_kinds),
        materials_total=len(materials),
        materials_spared=items.spared_count(materials),
        power_code=item.power_code,
    )


def items_public(session: Session, rows: Sequence[ServiceItem]) -> list[ItemPublic]:
    names = identity.unit_names(session, [i.unit_id for i in rows])
    return [item_public(session, i, names) for i in rows]


def item_detail(session: Session, item: ServiceItem) -> ItemDetail:
    spec = items.workflow_spec(session, item.workflow_code)
    return ItemDetail(
        **item_public(session, item).model_dump(),
        legal_basis=item.legal_basis,
        conditions=item.conditions,
        fee_basis=item.fee_basis,
        workflow_code=item.workflow_code,
        workflow={"name": spec.name, **workflows.definition_of(spec)},
        certificate_kind=item.certificate_kind,
        form_fields=list(item.form_fields),
        version=item.version,
        withdrawn_at=item.withdrawn_at,
        materials=[
            MaterialSpec(
                id=m.id,
                position=m.position,
                name=m.name,
                kind=m.kind,
                kind_label=items.MATERIAL_KINDS[m.kind],
                required=m.required,
                resource_id=m.resource_id,
                info_items=list(m.info_items),
                note=m.note,
            )
            for m in items.materials_of(session, item.id)
        ],
    )


def case_public(session: Session, case: Case, names: dict[int, str] | None = None) -> CasePublic:
    names = names if names is not None else identity.unit_names(session, [case.unit_id])
    item = session.get(ServiceItem, case.item_id)
    assert item is not None
    return CasePublic(
        number=case.number,
        item_code=item.code,
        item_name=item.name,
        unit_id=case.unit_id,
        unit_name=names.get(case.unit_id),
        applicant_name=case.applicant_name,
        status=case.status,
        status_label=cases.STATUS_LABELS_ZH.get(case.status, case.status),
        step=case.step,
        outcome=case.outcome,
        outcome_label=cases.OUTCOME_LABELS_ZH.get(case.outcome) if case.outcome else None,
        submitted_at=case.submitted_at,
        due_on=case.due_on,
        working_days_left=cases.working_days_left(session, case),
        overdue=engine.is_overdue(case, china_today()),
        fee_yuan=case.fee_fen / 100,
        paid=case.paid_at is not None,
        materials_total=case.materials_total,
        materials_spared=case.materials_spared,
        closed_at=case.closed_at,
    )


def cases_public(session: Session, rows: Sequence[Case]) -> list[CasePublic]:
    names = identity.unit_names(session, [c.unit_id for c in rows])
    return [case_public(session, c, names) for c in rows]


def case_detail(session: Session, principal: Principal, case: Case) -> CaseDetail:
    tasks = cases.tasks_of(session, case)
    names = identity.unit_names(session, [case.unit_id, *(t.unit_id for t in tasks)])
    entries, _ = list_entries(session, LedgerQuery(case_id=case.number), 0, HISTORY_LIMIT)
    rating = ratings.rating_of(session, case)
    return CaseDetail(
        **case_public(session, case, names).model_dump(),
        form=dict(case.form),
        result_text=case.result_text,
        certificate_number=case.certificate_ref,
        payment_ref=case.payment_ref,
        paused_days=case.paused_days,
        materials=[
            CaseMaterialPublic(
                material_id=m.material_id,
                name=m.name,
                kind=m.kind,
                required=m.required,
                status=m.status,
                status_label=cases.MATERIAL_STATUS_ZH.get(m.status, m.status),
                message=m.message,
                data=dict(m.data or {}),
                query_seq=m.query_seq,
                file_name=m.file_name,
                content_type=m.content_type,
                size=m.size,
            )
            for m in cases.case_materials(session, case)
        ],
        tasks=[
            TaskPublic(
                id=t.id,
                step=t.step,
                branch=t.branch,
                name=t.name,
                unit_id=t.unit_id,
                unit_name=names.get(t.unit_id),
                status=t.status,
                due_on=t.due_on,
                done_at=t.done_at,
                action=t.action,
                opinion=t.opinion,
            )
            for t in tasks
        ],
        actions=[
            {
                "task_id": task.id,
                "task_name": task.name,
                "branch": task.branch,
                "actions": [
                    {"action": a, "label": workflows.ACTION_LABELS_ZH.get(a, a)} for a in allowed
                ],
            }
            for task, allowed in engine.allowed_actions(session, principal, case)
        ],
        history=[
            HistoryEntry(
                seq=e.seq,
                at=e.occurred_at,
                activity=e.activity,
                actor_name=e.actor_name,
                unit_id=e.unit_id,
            )
            for e in reversed(entries)
        ],
        rating=rating.score if rating else None,
    )
