"""Publishing up (跨层级): a district platform answers the city platform above it.

The district is to the city what a department node is to a platform: the city sends signed
requests with grant tokens, the district checks them and answers with signed frames, and
both keep a message log. So the district serves the node app itself
(`exchange.node.server.create_node_app`), mounted at `/api/exchange/peer` when
`ZHUYUN_EXCHANGE_PEER_CONFIG` names its node.toml (made and trusted with `zhuyun node init`
and `zhuyun node trust`, approved on the city with `zhuyun exchange approve-node`), with one
source, `catalog`: the resources its data admins published up, read through the district's
own gateway. The district's policy applies too — the upper platform reads as one of the
district's units (`ZHUYUN_EXCHANGE_UPPER_UNIT`), under its grants, masked as any consumer —
and every read is in the district's ledger.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.core.calendar import china_today
from zhuyun.core.db import Database
from zhuyun.core.errors import NotFound, Problem, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.core.settings import Settings
from zhuyun.exchange.connectors import (
    ColumnInfo,
    DataType,
    Filter,
    HealthReport,
    SelectSpec,
    SourceConfig,
    SourceKind,
)
from zhuyun.exchange.connectors.errors import BadSourceConfig, ConnectorError
from zhuyun.exchange.connectors.stream import Batch, RowStream, prime
from zhuyun.exchange.models import UpwardExport
from zhuyun.exchange.service import gateway, sources
from zhuyun.exchange.service.policy import MASKED_SENSITIVITIES
from zhuyun.identity.permissions import AccountKind, Principal
from zhuyun.identity.service.units import find_unit_by_code

__all__ = ["UpwardCatalog", "list_exports", "publish_up", "withdraw_up"]

TABLE_PREFIX = "r"
PEER_PURPOSE = "上级平台共享调用"


def _table(resource_id: int) -> str:
    return f"{TABLE_PREFIX}{resource_id}"


def publish_up(session: Session, principal: Principal, resource_id: int) -> UpwardExport:
    """Publish a resource up: only its provider's data admins (or a platform admin)."""
    view = catalog.published_view(session, resource_id)
    if view.status != "published":
        raise Unprocessable(
            "Only published resources are published up.",
            "只有已发布的资源才能向上级平台发布。",
            code="resource-not-published",
        )
    binding = sources.binding_for(session, resource_id)
    if binding is None:
        raise Unprocessable("Bind the resource to a source first.", "请先为资源挂接数据源。",
                            code="resource-not-bound")  # fmt: skip
    sources.ensure_unit_admin(session, principal, view.provider_unit_id, "resource.publish_up")
    export = session.scalar(select(UpwardExport).where(UpwardExport.resource_id == resource_id))
    if export is None:
        export = UpwardExport(resource_id=resource_id, published_by=principal.account_ref)
        session.add(export)
        session.flush()
        record(session, principal.as_actor(), "exchange.published_up",
               Subject("resource", resource_id), {"code": view.code})  # fmt: skip
    return export


def withdraw_up(session: Session, principal: Principal, resource_id: int) -> None:
    export = session.scalar(select(UpwardExport).where(UpwardExport.resource_id == resource_id))
    if export is None:
        raise NotFound(
            f"Resource {resource_id} is not published up.",
            f"资源 {resource_id} 未向上级平台发布。",
            code="not-published-up",
        )
    view = catalog.published_view(session, resource_id)
    sources.ensure_unit_admin(session, principal, view.provider_unit_id, "resource.withdraw_up")
    session.delete(export)
    record(session, principal.as_actor(), "exchange.withdrawn_up",
           Subject("resource", resource_id), {})  # fmt: skip


def list_exports(session: Session, offset: int, limit: int) -> tuple[list[UpwardExport], int]:
    total = session.scalar(select(func.count()).select_from(UpwardExport)) or 0
    rows = session.scalars(
        select(UpwardExport).order_by(UpwardExport.resource_id).offset(offset).limit(limit)
    ).all()
    return list(rows), total


class UpwardCatalog:
    """The `catalog` source of a district's peer app: its published-up resources as tables
    (`r<id>`), their items as columns, read through the district's gateway as its upper
    unit, ledgered there."""

    def __init__(self, database: Database, settings: Settings, peer: str) -> None:
        self.database = database
        self.settings = settings
        self.peer = peer
        self.secret_key = settings.secret_key.get_secret_value()
        self.config = SourceConfig(SourceKind.NODE, f"node://{peer}/catalog")

    # -- who reads, what is published ----------------------------------------------------

    def _principal(self, session: Session) -> Principal:
        unit = find_unit_by_code(session, self.settings.exchange_upper_unit)
        if unit is None:
            raise BadSourceConfig(
                "ZHUYUN_EXCHANGE_UPPER_UNIT names no unit of this platform.",
                "ZHUYUN_EXCHANGE_UPPER_UNIT 未指向本平台的任何单位。",
            )
        return Principal(
            account_id=0,
            username=f"peer-{self.peer}",
            display_name=f"上级平台（{unit.name}）",
            kind=AccountKind.STAFF,
            unit_id=unit.id,
            roles=frozenset(),
            via="peer",
        )

    def _exported(self, session: Session, table: str) -> int:
        rid = table.removeprefix(TABLE_PREFIX)
        exported = (
            session.scalar(
                select(UpwardExport.resource_id).where(UpwardExport.resource_id == int(rid))
            )
            if rid.isdigit() and len(rid) < 10
            else None
        )
        if exported is None:
            raise ConnectorError(f"No resource {table} is published up.",
                                 f"没有向上级平台发布的资源 {table}。", status=404,
                                 code="source-table-not-found")  # fmt: skip
        return int(exported)

    def catalog(self) -> list[dict[str, Any]]:
        with self.database.session() as session:
            ids = session.scalars(
                select(UpwardExport.resource_id).order_by(UpwardExport.resource_id)
            )
            found = []
            for rid in ids:
                view = catalog.published_view(session, rid)
                if view.status != "published":
                    continue
                binding = sources.binding_for(session, rid)
                found.append(
                    {
                        "table": _table(rid),
                        "resource_id": rid,
                        "code": view.code,
                        "name": view.name,
                        "share_type": view.share_type.value,
                        "share_conditions": view.share_conditions,
                        "key_field": binding.key_field if binding else None,
                        "items": [
                            {"field": i.field, "name": i.name, "data_type": i.data_type.value,
                             "share_type": i.share_type.value, "sensitivity": i.sensitivity.value,
                             "mask_kind": i.mask_kind.value if i.mask_kind else None}
                            for i in view.items.values()
                        ],
                    }
                )  # fmt: skip
            return found

    # -- the connector contract ------------------------------------------------------------

    def health(self) -> HealthReport:
        return HealthReport(True, 0.0, "本平台目录")

    def tables(self) -> list[str]:
        return [entry["table"] for entry in self.catalog()]

    def columns(self, table: str) -> list[ColumnInfo]:
        with self.database.session() as session:
            try:
                view = catalog.published_view(session, self._exported(session, table))
            except Problem as problem:
                raise self._refused(problem) from None
            binding = sources.binding_for(session, view.id)
            key = binding.key_field if binding else None
        return [
            ColumnInfo(
                item.field,
                DataType.STRING
                if item.sensitivity in MASKED_SENSITIVITIES
                else DataType(item.data_type.value),
                item.data_type.value,
                True,
                item.field == key,
                item.field == key,
            )
            for item in view.items.values()
        ]

    def _prepared(self, session: Session, spec: SelectSpec) -> gateway.PreparedQuery:
        """The district's decision for the upper platform's read, and its query."""
        request = gateway.QueryRequest(
            resource_id=self._exported(session, spec.table),
            items=list(spec.columns),
            purpose=PEER_PURPOSE,
            filters=list(spec.filters),
            order_by=list(spec.order_by),
            export=True,
        )
        principal = self._principal(session)
        prepared = gateway.prepare(session, self.secret_key, principal, request, china_today())
        ceiling = prepared.decision.max_rows if prepared.decision.grant_id else None
        limits = [n for n in (spec.limit, ceiling) if n is not None]
        prepared.spec = replace(
            prepared.spec,
            after=spec.after,
            offset=spec.offset,
            limit=min(limits) if limits else None,
        )
        return prepared

    def _refused(self, problem: Problem) -> ConnectorError:
        """The district's refusal, passed up with its own code and message."""
        if isinstance(problem, ConnectorError):
            return problem
        return ConnectorError(
            problem.message_en, problem.message_zh, status=problem.status, code=problem.code
        )

    def select(
        self, spec: SelectSpec, *, timeout_s: float = 10.0, batch_size: int = 5000
    ) -> RowStream:
        try:
            with self.database.session() as session:
                prepared = self._prepared(session, spec)
                batches = gateway.open_batches(session, prepared)
        except Problem as problem:
            raise self._refused(problem) from None
        stream = gateway.stream_export(self.database, self.secret_key, prepared, batches)

        def rows() -> Generator[Batch, None, None]:
            for batch in stream:
                yield list(batch)  # rows: this source has no Arrow path

        return prime(rows())

    def count(self, spec: SelectSpec, *, timeout_s: float = 10.0) -> int:
        try:
            with self.database.session() as session:
                return gateway.count_matching(session, self._prepared(session, spec))
        except Problem as problem:
            raise self._refused(problem) from None

    def lookup(
        self,
        table: str,
        columns: Sequence[str],
        key: str,
        value: Any,
        *,
        timeout_s: float = 2.0,
        limit: int | None = 1000,
    ) -> list[tuple[Any, ...]]:
        spec = SelectSpec(table, list(columns), [Filter(key, "eq", value)], limit=limit)
        return [row for batch in self.select(spec, timeout_s=timeout_s) for row in batch]

    def close(self) -> None:
        pass


def peer_app(database: Database, settings: Settings) -> Any:
    """The node app this platform answers its upper platform with, or None when it has no
    peer identity (`ZHUYUN_EXCHANGE_PEER_CONFIG`)."""
    from zhuyun.exchange.node.config import load_config
    from zhuyun.exchange.node.server import create_node_app

    if settings.exchange_peer_config is None:
        return None
    config = load_config(settings.exchange_peer_config)
    return create_node_app(config, {"catalog": UpwardCatalog(database, settings, config.name)})
