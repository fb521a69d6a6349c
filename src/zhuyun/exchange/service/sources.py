"""Sources and bindings: a unit's data admin registers where the unit's data lives, checks
it, drafts catalog resources from its tables and binds published resources to them.

Credentials are sealed with the platform key before they are stored and never shown back;
the ledger records what was registered, never a secret.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.core.secret_box import seal
from zhuyun.exchange.connectors import ColumnInfo, HealthReport, SourceKind
from zhuyun.exchange.models import Binding, Source
from zhuyun.exchange.service import nodes
from zhuyun.exchange.service.connections import connector_for
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Permission, Principal, Role
from zhuyun.identity.service.auth import record_refusal

DATABASE_KINDS = {SourceKind.SQLITE, SourceKind.POSTGRESQL, SourceKind.MYSQL}


@dataclass(frozen=True)
class SourceDraft:
    name: str
    kind: SourceKind
    location: str
    options: Mapping[str, Any] = field(default_factory=dict)
    secret: str | None = None


def ensure_unit_admin(session: Session, principal: Principal, unit_id: int, what: str) -> None:
    """Only the unit's own data admins (or a platform admin) manage its sources; a refusal
    is ledgered."""
    if principal.has_role(Role.PLATFORM_ADMIN) or (
        principal.can(Permission.SOURCES_MANAGE) and principal.has_role(Role.DATA_ADMIN, unit_id)
    ):
        return
    record_refusal(
        session,
        "auth.forbidden",
        Subject("unit", unit_id),
        {"what": what, "permission": Permission.SOURCES_MANAGE.value},
        actor=principal.as_actor(),
    )
    raise Forbidden(
        "Only the data admins of the unit that owns it can do this.",
        "只有数据所属单位的数据管理员才能执行此操作。",
    )


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def host_allowed(host: str | None, allowed: Sequence[str]) -> bool:
    """Whether a source's host is one the platform may reach: a listed name, or an address
    inside a listed CIDR range. No host (a file, a local socket) is always allowed."""
    if not host:
        return True
    host = host.strip("[]").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host in {entry.lower() for entry in allowed}
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def path_allowed(path: Path, allowed: Sequence[Path]) -> bool:
    """Whether a file lies inside one of the allowed folders, after resolving links and `..`."""
    target = path.expanduser().resolve()
    return any(target.is_relative_to(folder.expanduser().resolve()) for folder in allowed)


FILE_KINDS = {SourceKind.CSV, SourceKind.PARQUET, SourceKind.XLSX}


def _path_of(kind: SourceKind, location: str) -> Path | None:
    """The file a SQLite, CSV, Parquet or XLSX source reads; None for servers."""
    if kind == SourceKind.SQLITE:
        try:
            database = make_url(location).database
        except ArgumentError:
            return None
        return Path(database) if database and database != ":memory:" else None
    return Path(location) if kind in FILE_KINDS else None


def _host_of(kind: SourceKind, location: str) -> str | None:
    if kind in DATABASE_KINDS:
        try:
            return make_url(location).host
        except ArgumentError:
            return None
    if kind == SourceKind.HTTP_JSON:
        return urlsplit(location).hostname
    return None


def _check_location(kind: SourceKind, location: str) -> str:
    location = location.strip()
    if not location or len(location) > 500:
        raise Unprocessable(
            "A source needs a location of at most 500 characters.",
            "数据源地址不能为空，且不超过 500 个字符。",
            code="bad-source",
        )
    if kind in DATABASE_KINDS:
        try:
            url = make_url(location)
        except ArgumentError as exc:
            raise Unprocessable(
                "The location is not a database URL (e.g. postgresql+psycopg://user@host/db).",
                "数据源地址不是有效的数据库连接串（例如 postgresql+psycopg://user@host/db）。",
                code="bad-source",
            ) from exc
        if url.password:
            raise Unprocessable(
                "Put the password in the secret field, not in the URL: it is stored sealed.",
                "请将密码填写在“密钥”一栏而不是连接串中：密钥会加密保存。",
                code="password-in-url",
            )
    return location


def register_source(
    session: Session,
    principal: Principal,
    secret_key: str,
    unit_id: int,
    draft: SourceDraft,
    *,
    source_hosts: Sequence[str] = LOOPBACK_HOSTS,
    source_dirs: Sequence[Path] = (),
) -> Source:
    """Register a unit's source; its credentials are sealed, nothing is copied."""
    identity.get_unit(session, unit_id)
    ensure_unit_admin(session, principal, unit_id, "source.register")
    name = draft.name.strip()
    if not 1 <= len(name) <= 100:
        raise Unprocessable(
            "A source needs a name of 1 to 100 characters.",
            "数据源名称须为 1 至 100 个字符。",
            code="bad-source",
        )
    location = _check_location(draft.kind, draft.location)
    options = dict(draft.options)
    if draft.kind == SourceKind.NODE:  # reached through its node: no credential here at all
        nodes.refuse_secret(draft.secret)
        options = nodes.options_for_location(session, location)
    host = _host_of(draft.kind, location)
    path = _path_of(draft.kind, location)
    if path is not None and not path_allowed(path, source_dirs):
        raise Unprocessable(
            "File and SQLite sources must lie in a folder the platform admin allows "
            "(ZHUYUN_SOURCE_DIRS).",
            "文件和 SQLite 数据源须位于平台管理员允许的目录内（ZHUYUN_SOURCE_DIRS）。",
            code="source-path-not-allowed",
        )
    if not host_allowed(host, source_hosts):
        raise Unprocessable(
            f"Sources may not point at {host}: ask the platform admin to add it to "
            "ZHUYUN_SOURCE_HOSTS.",
            f"数据源不能指向 {host}：请联系平台管理员将其加入 ZHUYUN_SOURCE_HOSTS 允许清单。",
            code="source-host-not-allowed",
        )
    taken = session.scalar(select(Source.id).where(Source.unit_id == unit_id, Source.name == name))
    if taken is not None:
        raise Conflict(
            f"The unit already has a source named {name}.",
            f"本单位已有名为“{name}”的数据源。",
            code="source-name-taken",
        )
    source = Source(
        unit_id=unit_id,
        name=name,
        kind=draft.kind.value,
        location=location,
        options=options,
        secret_sealed=seal(draft.secret, secret_key) if draft.secret else None,
        status="unknown",
    )
    session.add(source)
    session.flush()
    record(
        session,
        principal.as_actor(),
        "source.registered",
        Subject("source", source.id),
        {"unit_id": unit_id, "name": name, "kind": source.kind, "location": location,
         "has_secret": source.secret_sealed is not None},
    )  # fmt: skip
    return source


def get_source(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound(
            f"Source {source_id} does not exist.",
            f"数据源 {source_id} 不存在。",
            code="source-not-found",
        )
    return source


def list_sources(
    session: Session, unit_id: int | None, offset: int, limit: int
) -> tuple[list[Source], int]:
    conditions = [Source.unit_id == unit_id] if unit_id is not None else []
    total = session.scalar(select(func.count()).select_from(Source).where(*conditions)) or 0
    rows = session.scalars(
        select(Source).where(*conditions).order_by(Source.id).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def check_source(
    session: Session, principal: Principal, secret_key: str, source_id: int
) -> HealthReport:
    """Probe a source and remember how it answered."""
    source = get_source(session, source_id)
    ensure_unit_admin(session, principal, source.unit_id, "source.check")
    report = connector_for(source, secret_key).health()
    source.status = "ok" if report.ok else "down"
    source.status_message = report.message[:500]
    source.checked_at = utcnow()
    record(
        session,
        principal.as_actor(),
        "source.checked",
        Subject("source", source.id),
        {"ok": report.ok, "latency_ms": round(report.latency_ms, 2)},
    )
    return report


def source_tables(
    session: Session, principal: Principal, secret_key: str, source_id: int
) -> list[str]:
    source = get_source(session, source_id)
    ensure_unit_admin(session, principal, source.unit_id, "source.tables")
    return connector_for(source, secret_key).tables()


def source_columns(
    session: Session, principal: Principal, secret_key: str, source_id: int, table: str
) -> list[ColumnInfo]:
    source = get_source(session, source_id)
    ensure_unit_admin(session, principal, source.unit_id, "source.columns")
    return connector_for(source, secret_key).columns(table)


@dataclass(frozen=True)
class BindingDraft:
    source_id: int
    table_name: str
    key_field: str | None = None
    subject_field: str | None = None
    division_field: str | None = None


def _check_binding_columns(columns: Sequence[ColumnInfo], draft: BindingDraft) -> None:
    names = {c.name for c in columns}
    for label, value in (
        ("key_field", draft.key_field),
        ("subject_field", draft.subject_field),
        ("division_field", draft.division_field),
    ):
        if value and value not in names:
            raise Unprocessable(
                f"{label} {value} is not a column of {draft.table_name}.",
                f"{label} 字段 {value} 不是表 {draft.table_name} 的列。",
                code="bad-binding",
            )


def draft_resource(
    session: Session,
    principal: Principal,
    secret_key: str,
    draft: BindingDraft,
    name: str,
    summary: str = "",
) -> tuple[int, Binding]:
    """Introspect a source table and draft a catalog resource from it, bound to the table."""
    source = get_source(session, draft.source_id)
    ensure_unit_admin(session, principal, source.unit_id, "resource.draft")
    columns = connector_for(source, secret_key).columns(draft.table_name)
    _check_binding_columns(columns, draft)
    resource = catalog.draft_from_columns(
        session,
        principal.as_actor(),
        source.unit_id,
        name,
        [(c.name, c.data_type.value) for c in columns],
        summary=summary,
    )
    return resource.id, _bind(session, principal, resource.id, source, draft)


def bind_resource(
    session: Session, principal: Principal, secret_key: str, resource_id: int, draft: BindingDraft
) -> Binding:
    """Bind an existing resource of the source's unit to a table whose columns cover its items."""
    source = get_source(session, draft.source_id)
    ensure_unit_admin(session, principal, source.unit_id, "resource.bind")
    resource = catalog.get_resource(session, resource_id)
    if resource.provider_unit_id != source.unit_id:
        raise Unprocessable(
            "A resource can only be bound to a source of its own provider.",
            "资源只能挂接其提供单位自己的数据源。",
            code="bad-binding",
        )
    columns = connector_for(source, secret_key).columns(draft.table_name)
    _check_binding_columns(columns, draft)
    missing = sorted({item.field for item in resource.items} - {c.name for c in columns})
    if missing:
        raise Unprocessable(
            f"The table lacks the resource's items: {', '.join(missing)}.",
            f"该表缺少资源的信息项：{'、'.join(missing)}。",
            code="bad-binding",
        )
    return _bind(session, principal, resource_id, source, draft)


def _bind(
    session: Session, principal: Principal, resource_id: int, source: Source, draft: BindingDraft
) -> Binding:
    binding = session.scalar(select(Binding).where(Binding.resource_id == resource_id))
    if binding is None:
        binding = Binding(resource_id=resource_id, source_id=source.id, table_name="")
        session.add(binding)
    binding.source_id = source.id
    binding.table_name = draft.table_name
    binding.key_field = draft.key_field
    binding.subject_field = draft.subject_field
    binding.division_field = draft.division_field
    session.flush()
    record(
        session,
        principal.as_actor(),
        "resource.bound",
        Subject("resource", resource_id),
        {"source_id": source.id, "table": draft.table_name, "key_field": draft.key_field,
         "subject_field": draft.subject_field, "division_field": draft.division_field},
    )  # fmt: skip
    return binding


def binding_for(session: Session, resource_id: int) -> Binding | None:
    return session.scalar(select(Binding).where(Binding.resource_id == resource_id))


def check_schema(
    session: Session, principal: Principal, secret_key: str, resource_id: int
) -> list[str]:
    """Compare a bound resource's items with its table today; mark it stale when items are
    gone. Returns the missing items (empty when all is well)."""
    binding = binding_for(session, resource_id)
    if binding is None:
        return []
    source = get_source(session, binding.source_id)
    resource = catalog.get_resource(session, resource_id)
    present = {c.name for c in connector_for(source, secret_key).columns(binding.table_name)}
    missing = sorted(item.field for item in resource.items if item.field not in present)
    if missing:
        catalog.mark_stale(
            session,
            principal.as_actor(),
            resource_id,
            f"数据源表 {binding.table_name} 已无信息项：{'、'.join(missing)}",
        )
    return missing


def bound_resource_ids(session: Session) -> frozenset[int]:
    """The resources bound to a source: the ones whose data can be queried."""
    return frozenset(session.scalars(select(Binding.resource_id)))
