"""What every catalog operation needs: finding a resource, saying no, who may manage what."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from zhuyun.catalog.models import Resource
from zhuyun.core.errors import Forbidden, NotFound, Unprocessable
from zhuyun.core.ledger import Subject
from zhuyun.identity.permissions import Permission, Principal, Role
from zhuyun.identity.service import record_refusal

SUBJECT_TYPE = "catalog_resource"

#: (field, English, Chinese): one problem found in a draft.
Issue = tuple[str, str, str]


def subject(resource_id: int) -> Subject:
    return Subject(SUBJECT_TYPE, resource_id)


def not_found(resource_id: int) -> NotFound:
    return NotFound(
        f"Catalog resource {resource_id} does not exist.",
        f"目录资源 {resource_id} 不存在。",
        code="resource-not-found",
    )


def get_resource(session: Session, resource_id: int) -> Resource:
    """The resource's working copy, or a 404."""
    resource = session.get(Resource, resource_id)
    if resource is None:
        raise not_found(resource_id)
    return resource


def invalid(issues: Iterable[Issue], code: str = "invalid-resource") -> Unprocessable:
    """One 422 naming every problem, each with its field, in both languages."""
    found = list(issues)
    return Unprocessable(
        " ".join(en for _, en, _ in found),
        "".join(zh for _, _, zh in found),
        code=code,
        errors=[
            {"location": ["body", field], "message": en, "message_zh": zh, "type": code}
            for field, en, zh in found
        ],
    )


def may_manage(principal: Principal | None, unit_id: int) -> bool:
    """A platform admin manages every unit's resources; a data admin those of their unit."""
    if principal is None or not principal.can(Permission.CATALOG_MANAGE):
        return False
    return principal.has_role(Role.PLATFORM_ADMIN) or principal.has_role(Role.DATA_ADMIN, unit_id)


def home_unit(principal: Principal) -> int | None:
    """The unit whose resources a data admin catalogues by default: the unit of their
    data-admin grant, else their own unit; None for a platform admin (every unit)."""
    if principal.has_role(Role.PLATFORM_ADMIN):
        return None
    granted = [
        scope.unit_id
        for scope in principal.roles
        if scope.role == Role.DATA_ADMIN and scope.unit_id
    ]
    return granted[0] if granted else principal.unit_id or 0


def ensure_may_manage(
    session: Session,
    principal: Principal,
    unit_id: int,
    action: str,
    resource_id: int | None = None,
) -> None:
    """Refuse, and ledger the refusal, unless `principal` manages `unit_id`'s resources."""
    if may_manage(principal, unit_id):
        return
    record_refusal(
        session,
        "catalog.forbidden",
        Subject(SUBJECT_TYPE, resource_id) if resource_id else Subject("unit", unit_id),
        {"action": action, "provider_unit_id": unit_id},
        actor=principal.as_actor(),
    )
    raise Forbidden(
        "You may only catalogue the resources of a unit you are a data admin of.",
        "您只能编目和发布您担任数据管理员的单位的资源。",
        code="not-your-unit",
    )
