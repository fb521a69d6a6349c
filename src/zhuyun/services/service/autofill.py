"""The data runs, not the citizen: materials fetched through the exchange gateway.

At submission the platform queries, for the item's handling unit, every material an item
marks `shared` or `certificate`: a governed query with the platform's purpose, keyed by the
applicant's own ID number or credit code (or a form field), after the applicant's consent
has been recorded. Each answered query is an `exchange.query` entry in the ledger (the
gateway writes it); the case then records `services.material_fetched` pointing at it.

A source that is down or a query the policy refuses never fails the submission: the
material is left `pending` with a clear message, fetched again later (`refetch`) or
uploaded by the applicant.

Note on transactions: the gateway ledgers a refusal or a source failure in a transaction of
its own (it rolls the session back first), so fetches run *before* the case is written, and
each answered query is committed at once — a governed read that happened stays recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from zhuyun.core.calendar import china_today
from zhuyun.core.errors import Problem
from zhuyun.exchange.connectors import ConnectorError, Filter
from zhuyun.exchange.service import gateway
from zhuyun.identity.permissions import AccountKind, Principal, Role, RoleScope
from zhuyun.services.models import ItemMaterial
from zhuyun.services.service import certificate_link

PURPOSE = "一网通办政务服务事项办理，经申请人授权免提交材料"
FETCH_ROWS = 20


@dataclass(frozen=True)
class Fetched:
    """What one material's fetch gave: rows (possibly none), or why there are none."""

    material_id: int
    status: str  # fetched | missing | pending
    items: list[str]
    rows: list[list[Any]]
    masked: dict[str, str]
    query_seq: int | None
    message: str | None

    @property
    def first(self) -> dict[str, Any]:
        return dict(zip(self.items, self.rows[0], strict=True)) if self.rows else {}


def platform_principal(unit_id: int, unit_name: str) -> Principal:
    """The platform acting for the handling unit, as the gateway's consumer."""
    return Principal(
        account_id=0,
        username="services.platform",
        display_name=f"一网通办平台（代{unit_name}）",
        kind=AccountKind.STAFF,
        unit_id=unit_id,
        roles=frozenset({RoleScope(Role.CASE_HANDLER, unit_id)}),
        via="platform",
    )


def key_value(
    material: ItemMaterial, applicant: Mapping[str, str | None], form: Mapping[str, Any]
) -> str | None:
    source = material.key_source or ""
    if source.startswith("form."):
        value = form.get(source.removeprefix("form."))
        return str(value).strip() if value not in (None, "") else None
    return applicant.get(source.removeprefix("applicant.")) or None


def fetch_one(
    session: Session,
    secret_key: str,
    consumer: Principal,
    material: ItemMaterial,
    key: str | None,
) -> Fetched:
    """One governed query for one material; never raises for a refusal or a source down."""

    def without(status: str, message: str) -> Fetched:
        return Fetched(material.id, status, list(material.info_items), [], {}, None, message)

    if key is None or material.resource_id is None or not material.key_field:
        return without("missing", "缺少查询依据，请上传该材料。")
    fixed = material.fixed_filters or {}
    items = list(dict.fromkeys([*material.info_items, material.key_field, *fixed]))
    filters = [Filter(material.key_field, "eq", key)]
    filters += [Filter(name, "eq", value) for name, value in fixed.items()]
    # e-certificates are read from the certificate library under the purpose it is granted for
    purpose = certificate_link.library_purpose() if material.kind == "certificate" else PURPOSE
    request = gateway.QueryRequest(material.resource_id, items, purpose, filters, limit=FETCH_ROWS)
    try:
        prepared = gateway.prepare(session, secret_key, consumer, request, china_today())
        page = gateway.run_page(session, secret_key, prepared)
    except ConnectorError:
        return without(
            "pending", "数据提供部门暂时无法访问，平台将稍后重新获取，您也可以先上传该材料。"
        )
    except Problem as refused:
        return without(
            "pending", f"暂未能共享获取（{refused.message_zh}），可稍后重试或上传该材料。"
        )
    session.commit()  # the governed read happened: its ledger entry stays
    if not page.rows:
        return Fetched(
            material.id,
            "missing",
            page.items,
            [],
            page.masked,
            page.ledger_seq,
            "共享数据中未查到该材料，请上传。",
        )
    return Fetched(
        material.id, "fetched", page.items, page.rows, page.masked, page.ledger_seq, None
    )


def fetch_all(
    session: Session,
    secret_key: str,
    consumer: Principal,
    materials: Sequence[ItemMaterial],
    applicant: Mapping[str, str | None],
    form: Mapping[str, Any],
) -> dict[int, Fetched]:
    """Every material the platform can fetch, by material id."""
    return {
        m.id: fetch_one(session, secret_key, consumer, m, key_value(m, applicant, form))
        for m in materials
        if m.kind != "upload"
    }


def prefill(
    form_fields: Sequence[Mapping[str, Any]],
    form: Mapping[str, Any],
    fetched: Mapping[int, Fetched],
    positions: Mapping[int, int],
) -> tuple[dict[str, Any], list[str]]:
    """The form with the empty fields filled from fetched materials, and which were filled.

    A field says where it may come from as `"prefill": [material position, info item]`."""
    filled = dict(form)
    names: list[str] = []
    by_position = {positions[mid]: f for mid, f in fetched.items() if mid in positions}
    for spec in form_fields:
        name = spec["name"]
        source = spec.get("prefill")
        if filled.get(name) not in (None, "") or not source:
            continue
        found = by_position.get(int(source[0]))
        if found is not None and found.rows and source[1] in found.first:
            value = found.first[source[1]]
            if value not in (None, ""):
                filled[name] = value
                names.append(name)
    return filled, names
