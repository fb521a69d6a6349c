"""Drafting resources: from a form or JSON body, or from a source table's columns, and
editing the working copy. Every save is checked (`rules`) and ledgered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhuyun.catalog.classification import (
    BASE_LIBRARY_ITEMS,
    DEPARTMENT_CLASS,
    ITEM_LABELS_ZH,
    LOCAL_DEPARTMENTS_ITEM,
    compose_code,
    format_sequence,
)
from zhuyun.catalog.columns import data_type_of, hint_for
from zhuyun.catalog.diff import diff
from zhuyun.catalog.models import InfoItem, Resource
from zhuyun.catalog.schemas import ItemDraft, ResourceDraft, ResourceUpdate
from zhuyun.catalog.service.common import get_resource, invalid, subject
from zhuyun.catalog.service.rules import classification_of, consistency_issues
from zhuyun.catalog.service.snapshots import draft_of, working_snapshot
from zhuyun.catalog.vocab import (
    ResourceStatus,
    Sensitivity,
    ShareType,
    stricter,
)
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict
from zhuyun.core.ledger import Actor, record
from zhuyun.core.masking import MaskKind
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.service import get_unit

_CODE_FIELDS = ("class_code", "item_code", "catalogue_code", "detail_code", "sequence_code")


def _provider(session: Session, unit_id: int) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise invalid(
            [
                (
                    "provider_unit_id",
                    f"Unit {unit_id} does not exist.",
                    f"提供方单位 {unit_id} 不存在。",
                )
            ]
        )
    return unit


def _department_catalogue(session: Session, unit_id: int) -> str:
    """The 目 a department owns under 部门信息资源 · 07: its first one, or the next free one."""
    in_department_item = (
        Resource.class_code == DEPARTMENT_CLASS,
        Resource.item_code == LOCAL_DEPARTMENTS_ITEM,
    )
    owned = session.scalar(
        select(Resource.catalogue_code)
        .where(*in_department_item, Resource.provider_unit_id == unit_id)
        .limit(1)
    )
    if owned:
        return owned
    highest = session.scalar(
        select(func.max(cast(Resource.catalogue_code, Integer))).where(*in_department_item)
    )
    return str((highest or 0) + 1).zfill(3)


def _complete(session: Session, draft: ResourceDraft, unit: OrgUnit) -> ResourceDraft:
    """Fill in what follows from the rest: the department's 目, the base library of a
    基础信息资源, the theme of a 主题信息资源, the provider's code."""
    update: dict[str, Any] = {}
    department = (draft.class_code, draft.item_code) == (DEPARTMENT_CLASS, LOCAL_DEPARTMENTS_ITEM)
    if draft.catalogue_code is None and department:
        update["catalogue_code"] = _department_catalogue(session, unit.id)
    if draft.class_code == "1" and draft.base_library is None:
        update["base_library"] = next(
            (lib for lib, item in BASE_LIBRARY_ITEMS.items() if item == draft.item_code), None
        )
    theme = ITEM_LABELS_ZH["2"].get(draft.item_code) if draft.class_code == "2" else None
    if theme and theme not in draft.themes:
        update["themes"] = [theme, *draft.themes]
    if not draft.provider_code:
        update["provider_code"] = unit.credit_code or unit.code
    return draft.model_copy(update=update) if update else draft


def _next_sequence(session: Session, draft: ResourceDraft) -> str:
    c = classification_of(draft)
    highest = session.scalar(
        select(func.max(cast(Resource.sequence_code, Integer))).where(
            Resource.class_code == c.class_code,
            Resource.item_code == c.item_code,
            Resource.catalogue_code == c.catalogue_code,
            Resource.detail_code == c.detail_code,
        )
    )
    return format_sequence((highest or 0) + 1)


def _code_taken(session: Session, code: str, resource_id: int | None) -> Conflict | None:
    owner = session.scalar(select(Resource.id).where(Resource.code == code))
    if owner is None or owner == resource_id:
        return None
    return Conflict(
        f"The resource code {code} is already taken.",
        f"资源代码 {code} 已被占用。",
        code="resource-code-taken",
    )


def _checked(session: Session, draft: ResourceDraft, own_code: str | None = None) -> ResourceDraft:
    unit = _provider(session, draft.provider_unit_id)
    draft = _complete(session, draft, unit)
    issues = consistency_issues(session, draft, own_code)
    if issues:
        raise invalid(issues)
    return draft


def _apply_items(resource: Resource, draft: ResourceDraft) -> None:
    """Update items in place by field, so unique (resource, field) never clashes mid-flush."""
    existing = {item.field: item for item in resource.items}
    kept: list[InfoItem] = []
    for position, given in enumerate(draft.items):
        item = existing.get(given.field) or InfoItem(field=given.field)
        item.position = position
        item.name = given.name
        item.data_type = given.data_type.value
        item.description = given.description
        item.share_type = (given.share_type or draft.share_type).value
        item.sensitivity = given.sensitivity.value
        item.mask_kind = given.mask_kind.value if given.mask_kind else None
        kept.append(item)
    resource.items = kept


def _apply(resource: Resource, draft: ResourceDraft) -> None:
    for field in (
        "name", "class_code", "item_code", "catalogue_code", "detail_code", "provider_code",
        "summary", "share_conditions", "legal_basis", "open_conditions",
    ):  # fmt: skip
        setattr(resource, field, getattr(draft, field))
    for field in ("format", "share_type", "share_method", "open_type", "update_cycle"):
        setattr(resource, field, getattr(draft, field).value)
    resource.base_library = draft.base_library.value if draft.base_library else None
    resource.themes = list(draft.themes)
    resource.related_codes = list(draft.related_codes)
    _apply_items(resource, draft)


def _flush(session: Session, code: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # two drafts raced for the same code
        raise Conflict(
            f"The resource code {code} was just taken; try again.",
            f"资源代码 {code} 刚被占用，请重试。",
            code="resource-code-taken",
        ) from exc


def create_draft(session: Session, actor: Actor, draft: ResourceDraft) -> Resource:
    """A new resource in draft; its code is composed from its classification and the next
    free 顺序码 unless one is given."""
    draft = _checked(session, draft)
    sequence = draft.sequence_code or _next_sequence(session, draft)
    code = compose_code(classification_of(draft), sequence)
    taken = _code_taken(session, code, None)
    if taken:
        raise taken
    resource = Resource(
        code=code,
        sequence_code=sequence,
        provider_unit_id=draft.provider_unit_id,
        status=ResourceStatus.DRAFT.value,
        version=0,
        has_unpublished_changes=True,
        stale=False,
        stale_reason="",
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    _apply(resource, draft)
    session.add(resource)
    _flush(session, code)
    record(
        session,
        actor,
        "catalog.drafted",
        subject(resource.id),
        {
            "code": code,
            "name": resource.name,
            "provider_unit_id": resource.provider_unit_id,
            "items": len(draft.items),
        },
    )
    return resource


def _item_from_column(column: str, sql_type: str) -> ItemDraft:
    hint = hint_for(column)
    # A draft from columns is a proposal: nothing starts secret (that needs a legal basis),
    # and personal data starts masked.
    sensitivity = (
        Sensitivity.SENSITIVE if hint.sensitivity == Sensitivity.SECRET else hint.sensitivity
    )
    mask = hint.mask_kind
    if mask is None and sensitivity == Sensitivity.SENSITIVE:
        mask = MaskKind.FULL
    return ItemDraft(
        field=column,
        name=hint.name_zh[:100] or column,
        data_type=data_type_of(column, sql_type),
        sensitivity=sensitivity,
        mask_kind=mask,
    )


def draft_from_columns(
    session: Session,
    actor: Actor,
    provider_unit_id: int,
    name: str,
    columns: Sequence[tuple[str, str]],
    *,
    summary: str = "",
) -> Resource:
    """A draft describing a source table: one info item per (column name, SQL type), with
    Chinese names, types and sensitivity guessed from the names; the data admin completes it."""
    try:
        items = [_item_from_column(column, sql_type) for column, sql_type in columns]
        draft = ResourceDraft(
            provider_unit_id=provider_unit_id,
            name=name,
            summary=summary,
            items=items,
        )
    except ValidationError as exc:
        raise invalid(
            (
                ".".join(str(p) for p in error["loc"]) or "columns",
                f"{error['msg']}: {str(error.get('input'))[:80]!r}.",
                f"无法据此生成信息项：{str(error.get('input'))[:80]}（{error['msg']}）。",
            )
            for error in exc.errors()[:10]
        ) from exc
    return create_draft(session, actor, draft)


def _follow(items: list[dict[str, Any]], old: ShareType, new: ShareType) -> list[dict[str, Any]]:
    """Items that shared like their resource keep doing so; stricter ones stay as strict,
    but never looser than the resource's new share type."""
    followed = []
    for item in items:
        own = item.get("share_type")
        share = None if own in (None, old) else stricter(ShareType(own), new)
        followed.append(item | {"share_type": share})
    return followed


def _merged(resource: Resource, changes: ResourceUpdate) -> ResourceDraft:
    """The working copy with `changes` laid over it. Items not given follow the resource's
    share type where they did, and are tightened where it became stricter."""
    current = draft_of(resource)
    given = {
        key: value
        for key, value in changes.model_dump(exclude_unset=True).items()
        if value is not None or key in ("base_library", "sequence_code")
    }
    data = current.model_dump() | given
    if "share_type" in given:
        old, new = current.share_type, ShareType(given["share_type"])
        if "items" in given:  # items sent back as read, at the old level, are tightened
            data["items"] = [
                item | {"share_type": stricter(old, new)} if item.get("share_type") == old else item
                for item in data["items"]
            ]
        else:
            data["items"] = _follow(data["items"], old, new)
    if given.keys() & set(_CODE_FIELDS[:-1]) and "sequence_code" not in given:
        data["sequence_code"] = None  # a new classification gets the next free 顺序码
    try:
        return ResourceDraft.model_validate(data)
    except ValidationError as exc:  # pragma: no cover - both halves were valid on their own
        raise invalid(
            (".".join(str(p) for p in e["loc"]), e["msg"], e["msg"]) for e in exc.errors()
        ) from exc


def update_draft(
    session: Session, actor: Actor, resource_id: int, changes: ResourceUpdate
) -> Resource:
    """Change the working copy. A published resource keeps serving its published version
    until it is published again; its code is fixed from its first publication on."""
    resource = get_resource(session, resource_id)
    if resource.status == ResourceStatus.RETIRED.value:
        raise Conflict(
            "A retired resource cannot be changed.", "已撤销的资源不能修改。", code="retired"
        )
    draft = _checked(session, _merged(resource, changes), own_code=resource.code)
    sequence = draft.sequence_code or resource.sequence_code
    recode = (
        any(getattr(draft, f) != getattr(resource, f) for f in _CODE_FIELDS[:-1])
        or sequence != resource.sequence_code
    )
    if recode and resource.version > 0:
        raise Conflict(
            "The resource code cannot change once the resource is published.",
            "资源发布后，其分类和资源代码不能再更改。",
            code="code-fixed",
        )
    provider_name = get_unit(session, resource.provider_unit_id).name
    before = working_snapshot(resource, provider_name)
    if recode:
        sequence = draft.sequence_code or _next_sequence(session, draft)
        code = compose_code(classification_of(draft), sequence)
        taken = _code_taken(session, code, resource.id)
        if taken:
            raise taken
        resource.code, resource.sequence_code = code, sequence
    _apply(resource, draft)
    changed = diff(before, working_snapshot(resource, provider_name))
    if not changed:
        return resource
    resource.has_unpublished_changes = True
    resource.updated_at = utcnow()
    _flush(session, resource.code)
    record(
        session,
        actor,
        "catalog.updated",
        subject(resource.id),
        {"changed": [c["field"] for c in changed][:50], "status": resource.status},
    )
    return resource
