"""The gateway's policy: who may read which items of which resource, masked or in clear.

Deny by default. A resource that is not published, or 不予共享, is never read; 无条件共享
items are readable by any unit's staff allowed to query; 有条件共享 items need a live grant
for this consumer unit that covers them and this purpose, within its row limits. The
provider reads its own resources freely. Sensitive items are masked unless the grant lists
them as clear. A unit below the city reads only the rows of its own division, unless its
grant is city-wide. Every refusal names the rule that refused, so it can be explained.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from zhuyun.catalog.vocab import OpenType, Sensitivity, ShareType
from zhuyun.core.errors import Forbidden
from zhuyun.exchange.connectors import Filter

SHARE_CONDITIONAL = ShareType.CONDITIONAL.value
SHARE_NONE = ShareType.NONE.value
MASKED_SENSITIVITIES = frozenset({Sensitivity.SENSITIVE.value, Sensitivity.SECRET.value})
DEFAULT_MAX_ROWS = 1_000


class ItemLike(Protocol):
    @property
    def field(self) -> str: ...
    @property
    def share_type(self) -> str: ...
    @property
    def sensitivity(self) -> str: ...
    @property
    def mask_kind(self) -> str | None: ...


class ResourceLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def open_type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def provider_unit_id(self) -> int: ...
    @property
    def share_type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def items(self) -> Mapping[str, Any]: ...


class GrantLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def items(self) -> list[str]: ...
    @property
    def clear_items(self) -> list[str]: ...
    @property
    def purpose(self) -> str: ...
    @property
    def valid_until(self) -> date: ...
    @property
    def max_rows_per_query(self) -> int: ...
    @property
    def city_wide(self) -> bool: ...
    @property
    def revoked_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Consumer:
    """The unit a query is made for, as the policy needs to see it."""

    unit_id: int | None  # None: the public, through the open-data portal
    division_code: str
    is_city_level: bool


PUBLIC = Consumer(unit_id=None, division_code="", is_city_level=True)
OPENED_SENSITIVITIES = frozenset({Sensitivity.PUBLIC.value, Sensitivity.INTERNAL.value})
OPEN_MAX_ROWS = 1_000


@dataclass(frozen=True)
class Decision:
    """What the policy allows: the items to mask (field → mask kind), the row filter, the
    page limit, and the grant it rests on (None for unconditional items or the provider)."""

    grant_id: int | None
    masked: Mapping[str, str]
    row_filter: Filter | None
    max_rows: int
    basis: str
    notes: list[str] = field(default_factory=list)


class Refused(Forbidden):
    """A query the policy refuses; `rule` names the rule, for the ledger and the caller."""

    def __init__(self, rule: str, message_en: str, message_zh: str, status: int = 403) -> None:
        super().__init__(message_en, message_zh, code=f"policy-{rule}", status=status)
        self.rule = rule


def _same_purpose(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def decide(
    consumer: Consumer,
    resource: ResourceLike,
    items: Sequence[str],
    purpose: str,
    grants: Sequence[GrantLike],
    division_field: str | None,
    today: date,
) -> Decision:
    """Decide a query, or raise `Refused` naming the first rule that forbids it."""
    if resource.status != "published":
        raise Refused(
            "not-published",
            f"Resource {resource.id} is not published.",
            f"资源 {resource.id} 尚未发布或已停用。",
        )
    unknown = [name for name in items if name not in resource.items]
    if unknown:
        raise Refused(
            "unknown-item",
            f"Resource {resource.id} has no items {', '.join(unknown)}.",
            f"资源 {resource.id} 没有信息项：{'、'.join(unknown)}。",
            status=422,
        )
    if consumer.unit_id == resource.provider_unit_id:
        return Decision(None, {}, None, DEFAULT_MAX_ROWS, "provider")
    if resource.share_type == SHARE_NONE:
        raise Refused(
            "not-shared",
            f"{resource.name} is not shared (不予共享).",
            f"“{resource.name}”为不予共享资源。",
        )
    item_types = {name: resource.items[name].share_type for name in items}
    withheld = [name for name, kind in item_types.items() if kind == SHARE_NONE]
    if withheld:
        raise Refused(
            "item-not-shared",
            f"Items {', '.join(withheld)} are not shared.",
            f"信息项 {'、'.join(withheld)} 不予共享。",
        )
    conditional = [
        name
        for name, kind in item_types.items()
        if kind == SHARE_CONDITIONAL or resource.share_type == SHARE_CONDITIONAL
    ]
    grant = _covering_grant(conditional, purpose, grants, today) if conditional else None
    clear = set(grant.clear_items) if grant else set()
    masked = {
        name: resource.items[name].mask_kind or "full"
        for name in items
        if resource.items[name].sensitivity in MASKED_SENSITIVITIES and name not in clear
    }
    row_filter = None
    if division_field and not consumer.is_city_level and not (grant and grant.city_wide):
        row_filter = Filter(division_field, "prefix", consumer.division_code)
    max_rows = grant.max_rows_per_query if grant else DEFAULT_MAX_ROWS
    basis = f"grant:{grant.id}" if grant else "unconditional"
    return Decision(grant.id if grant else None, masked, row_filter, max_rows, basis)


def _covering_grant(
    conditional: Sequence[str], purpose: str, grants: Sequence[GrantLike], today: date
) -> GrantLike:
    """The live grant covering the conditional items for this purpose, or the reason none is."""
    if not grants:
        raise Refused(
            "grant-required",
            f"Items {', '.join(conditional)} are shared on conditions: apply for a grant first.",
            f"信息项 {'、'.join(conditional)} 为有条件共享，请先提交共享申请并获批准。",
        )
    # The grants for this purpose explain a refusal best: revoked, expired, or other purposes.
    same_purpose = [g for g in grants if _same_purpose(g.purpose, purpose)]
    unrevoked = [g for g in same_purpose if g.revoked_at is None]
    if same_purpose and not unrevoked:
        raise Refused(
            "grant-revoked",
            "Your unit's grant for this resource and purpose has been revoked.",
            "本单位对该资源、该用途的共享授权已被撤销。",
        )
    for_purpose = [g for g in unrevoked if g.valid_until >= today]
    if unrevoked and not for_purpose:
        raise Refused(
            "grant-expired",
            "Your unit's grant for this resource and purpose has expired.",
            "本单位对该资源、该用途的共享授权已过期。",
        )
    if not for_purpose:
        live = [g for g in grants if g.revoked_at is None and g.valid_until >= today]
        granted = "; ".join(sorted({g.purpose for g in live})) or "无"
        raise Refused(
            "grant-purpose",
            f"No live grant covers this purpose; granted purposes: {granted}.",
            f"没有覆盖此次用途的有效授权；已获批用途：{granted}。",
        )
    for grant in for_purpose:
        if set(conditional) <= set(grant.items):
            return grant
    missing = sorted(set(conditional) - set().union(*(set(g.items) for g in for_purpose)))
    raise Refused(
        "grant-items",
        f"The grant does not cover items {', '.join(missing)}.",
        f"授权未包含信息项：{'、'.join(missing)}。",
    )


def decide_open(resource: ResourceLike, items: Sequence[str], has_key: bool) -> Decision:
    """Decide a query of the public (the open-data portal), or raise `Refused`.

    Only published resources the government opens are read: 无条件开放 by anyone,
    有条件开放 with a registered developer's key. Sensitive and secret items are never
    opened; an opened item the catalog masks is served masked."""
    if resource.status != "published":
        raise Refused(
            "not-published",
            f"Resource {resource.id} is not published.",
            f"资源 {resource.id} 尚未发布或已停用。",
        )
    if resource.open_type not in (OpenType.OPEN.value, OpenType.CONDITIONAL.value):
        raise Refused(
            "not-open", f"{resource.name} is not open data.", f"“{resource.name}”不是开放数据。"
        )
    if resource.open_type == OpenType.CONDITIONAL.value and not has_key:
        raise Refused(
            "key-required",
            f"{resource.name} is conditionally open: call with a registered developer key.",
            f"“{resource.name}”为有条件开放数据，请使用已注册的开发者密钥调用。",
        )
    unknown = [name for name in items if name not in resource.items]
    closed = [
        name
        for name in items
        if name in resource.items and resource.items[name].sensitivity not in OPENED_SENSITIVITIES
    ]
    if unknown or closed:
        missing = unknown + closed
        raise Refused(
            "unknown-item",
            f"{resource.name} opens no items {', '.join(missing)}.",
            f"“{resource.name}”没有开放信息项：{'、'.join(missing)}。",
            status=422,
        )
    masked = {name: kind for name in items if (kind := resource.items[name].mask_kind) is not None}
    basis = "open:key" if has_key else "open"
    return Decision(None, masked, None, OPEN_MAX_ROWS, basis)
