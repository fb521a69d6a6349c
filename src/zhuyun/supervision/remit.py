"""Whose power a supervisor may see: the units within their remit (the unit their role is
granted for and every unit under it; a city-wide grant or the platform admin sees all)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from zhuyun.core.errors import Forbidden
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Principal, Role

_SEES_ALL = frozenset({Role.PLATFORM_ADMIN})
_SUPERVISING = (Role.SUPERVISOR, Role.PLATFORM_ADMIN)


@dataclass(frozen=True)
class Remit:
    """All units (`unit_ids` None) or exactly these."""

    unit_ids: frozenset[int] | None

    def covers(self, unit_id: int | None) -> bool:
        return self.unit_ids is None or (unit_id is not None and unit_id in self.unit_ids)

    def refuse_unless_covers(self, unit_id: int | None) -> None:
        if not self.covers(unit_id):
            raise Forbidden(
                "That unit is outside your remit.",
                "该单位不在您的监督范围内。",
                code="out-of-remit",
            )


ALL_UNITS = Remit(None)


def subtree(session: Session, root_id: int) -> set[int]:
    """The unit and every unit under it."""
    found, frontier = {root_id}, [root_id]
    while frontier:
        parent = frontier.pop()
        children, _ = identity.list_units(session, parent_id=parent, limit=100_000)
        for child in children:
            if child.id not in found:
                found.add(child.id)
                frontier.append(child.id)
    return found


def remit_of(session: Session, principal: Principal) -> Remit:
    """The units whose power `principal` supervises; staff without a supervising role see
    their own unit only."""
    if principal.role_names & _SEES_ALL:
        return Remit(None)
    scopes = [s for s in principal.roles if s.role in _SUPERVISING]
    if any(s.unit_id is None for s in scopes):
        return Remit(None)
    units: set[int] = set()
    for scope in scopes:
        if scope.unit_id is None:
            continue
        if identity.get_unit(session, scope.unit_id).parent_id is None:
            return Remit(None)  # a grant for the city (the tree's root) covers every unit
        units |= subtree(session, scope.unit_id)
    if not scopes and principal.unit_id is not None:
        units.add(principal.unit_id)
    return Remit(frozenset(units))
