"""Measuring one open dataset's quality: read a bounded sample of its opened items from
the department's source, validate it with Frictionless against the catalog's declared types,
compare the source's columns with the catalog's items, and score it (see `quality` for the
formula). Pure measurement: storing, ledgering and reading reports is `quality`'s.
"""

from __future__ import annotations

import difflib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import frictionless
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.catalog.vocab import DATA_TYPE_LABELS_ZH, DataType
from zhuyun.core.errors import NotFound
from zhuyun.exchange.connectors import ColumnInfo, ConnectorError, SelectSpec
from zhuyun.exchange.connectors import DataType as SourceType
from zhuyun.exchange.models import Binding, Source
from zhuyun.exchange.service import sources
from zhuyun.exchange.service.connections import connector_for
from zhuyun.opendata.service import MAX_DATASETS, OPENED_SENSITIVITIES, PUBLIC_OPEN_TYPES

SAMPLE_ROWS = 10_000
QUERY_TIMEOUT_S = 60.0
MAX_ERRORS = 50_000  # Frictionless stops counting here; the report says so
EXAMPLE_ROWS = 5
WEIGHTS = {"validity": 35, "completeness": 25, "uniqueness": 20, "conformity": 20}
DIMENSION_LABELS_ZH = {
    "validity": "规范性",
    "completeness": "完整性",
    "uniqueness": "唯一性",
    "conformity": "结构一致性",
}
DIMENSION_HINTS_ZH = {
    "validity": "取值全部符合声明类型的数据项占比",
    "completeness": "非空单元格占比",
    "uniqueness": "无重复行、无重复主键",
    "conformity": "数据源中仍存在且类型相符的数据项占比",
}
# The catalog's types as Frictionless field types.
_FRICTIONLESS_TYPES = {
    DataType.STRING: "string",
    DataType.INTEGER: "integer",
    DataType.DECIMAL: "number",
    DataType.BOOLEAN: "boolean",
    DataType.DATE: "date",
    DataType.DATETIME: "datetime",
    DataType.BINARY: "any",
}


class Status(StrEnum):
    CHECKED = "checked"
    NO_SOURCE = "no_source"
    UNREACHABLE = "unreachable"


STATUS_LABELS_ZH = {
    Status.CHECKED: "已评估",
    Status.NO_SOURCE: "未接入数据源",
    Status.UNREACHABLE: "数据源不可达",
}


@dataclass(frozen=True)
class Item:
    """An opened info item of the dataset (never a sensitive or secret one)."""

    field: str
    name: str
    data_type: DataType


@dataclass(frozen=True)
class Target:
    """What one check reads: the dataset's current version, its opened items, its binding."""

    resource_id: int
    version: int
    name: str
    provider_unit_id: int
    items: tuple[Item, ...]
    catalogued: frozenset[str]  # every item's field, opened or not: never a rename target
    binding: Binding | None
    source: Source | None


@dataclass
class Measured:
    """What a check found, before it is stored."""

    status: Status
    message: str = ""
    rows: int = 0
    total_rows: int | None = None
    score: int | None = None
    dimensions: dict[str, float] = field(default_factory=dict)
    fields: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    duration_ms: int = 0


def _opened_items(snapshot: dict[str, Any]) -> tuple[Item, ...]:
    return tuple(
        Item(item["field"], item.get("name") or item["field"], DataType(item["data_type"]))
        for item in snapshot.get("items", [])
        if item.get("sensitivity") in OPENED_SENSITIVITIES
    )


def targets(session: Session, resource_id: int | None = None) -> list[Target]:
    """The open datasets to check (all, or the one given), with their bindings."""
    versions, _ = catalog.current_versions(
        session, open_types=list(PUBLIC_OPEN_TYPES), offset=0, limit=MAX_DATASETS
    )
    if resource_id is not None:
        versions = [v for v in versions if v.resource_id == resource_id]
        if not versions:
            raise NotFound(
                f"Resource {resource_id} is not a published open dataset.",
                f"资源 {resource_id} 不是已发布的开放数据集。",
                code="dataset-not-found",
            )
    found = []
    for version in versions:
        binding = sources.binding_for(session, version.resource_id)
        source = sources.get_source(session, binding.source_id) if binding else None
        found.append(
            Target(
                resource_id=version.resource_id,
                version=version.version,
                name=version.name,
                provider_unit_id=version.provider_unit_id,
                items=_opened_items(version.snapshot),
                catalogued=frozenset(i["field"] for i in version.snapshot.get("items", [])),
                binding=binding,
                source=source,
            )
        )
    return found


# -- measuring ----------------------------------------------------------------------------


def fits(declared: DataType, found: SourceType) -> bool:
    """Whether a source column of type `found` can carry an item declared `declared`: the
    same type; text (its values are then checked one by one); any type for a text item;
    whole numbers for a decimal item."""
    return (
        declared.value == found.value
        or found == SourceType.STRING
        or declared == DataType.STRING
        or (declared == DataType.DECIMAL and found == SourceType.INTEGER)
    )


def _type_zh(data_type: DataType | SourceType) -> str:
    return DATA_TYPE_LABELS_ZH.get(DataType(data_type.value), data_type.value)


def _label(item: Item) -> str:
    return f"“{item.name}”（{item.field}）"


def _rows_text(rows: Sequence[int]) -> str:
    return "、".join(str(r) for r in rows[:EXAMPLE_ROWS])


def _finding(
    kind: str, level: str, message: str, *, item: Item | None = None, count: int = 1,
    rows: Sequence[int] = (),
) -> dict[str, Any]:  # fmt: skip
    return {
        "kind": kind,
        "level": level,
        "field": item.field if item else None,
        "count": count,
        "rows": list(rows[:EXAMPLE_ROWS]),
        "message": message,
    }


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(value: Any, item: Item) -> Any:
    """A source value as Frictionless should see it: None when empty, text for text items,
    0/1 as booleans for boolean items."""
    if _is_missing(value):
        return None
    if item.data_type == DataType.STRING and not isinstance(value, str):
        return str(value)
    if item.data_type == DataType.BOOLEAN and isinstance(value, int) and value in (0, 1):
        return bool(value)
    return value


@dataclass
class _Validation:
    type_errors: Counter[str] = field(default_factory=Counter)
    type_rows: dict[str, list[int]] = field(default_factory=dict)
    duplicate_rows: list[int] = field(default_factory=list)
    duplicate_keys: list[int] = field(default_factory=list)
    other: Counter[str] = field(default_factory=Counter)
    truncated: bool = False


def _validate(read: Sequence[Item], rows: list[list[Any]], key: str | None) -> _Validation:
    """Frictionless over the sample: types, duplicate rows, duplicate keys."""
    descriptor: dict[str, Any] = {
        "fields": [{"name": i.field, "type": _FRICTIONLESS_TYPES[i.data_type]} for i in read]
    }
    if key is not None:
        descriptor["primaryKey"] = [key]
    resource = frictionless.Resource(
        data=[[i.field for i in read], *rows],
        schema=frictionless.Schema.from_descriptor(descriptor),
    )
    report = resource.validate(
        frictionless.Checklist(checks=[frictionless.checks.duplicate_row()]),
        limit_errors=MAX_ERRORS,
    )
    found = _Validation()
    key_index = [i.field for i in read].index(key) if key is not None else -1
    for task in report.tasks:
        found.truncated = found.truncated or any(
            "limit" in str(w) for w in getattr(task, "warnings", [])
        )
        for error in task.errors:
            row = int(getattr(error, "row_number", 0) or 0) - 1  # the header is row 1
            if error.type == "type-error":
                name = str(error.field_name)  # type: ignore[attr-defined]
                found.type_errors[name] += 1
                found.type_rows.setdefault(name, []).append(row)
            elif error.type == "duplicate-row":
                found.duplicate_rows.append(row)
            elif error.type == "primary-key":
                if 1 <= row <= len(rows) and rows[row - 1][key_index] is not None:
                    found.duplicate_keys.append(row)  # an empty key counts as missing
            else:
                found.other[error.type] += 1
    found.truncated = found.truncated or len(report.tasks[0].errors) >= MAX_ERRORS
    return found


def _drift(
    target: Target, columns: Sequence[ColumnInfo]
) -> tuple[list[Item], list[Item], list[dict[str, Any]]]:
    """Opened items gone from the source, items whose column no longer fits, findings."""
    by_name = {c.name: c for c in columns}
    uncatalogued = [c.name for c in columns if c.name not in target.catalogued]
    missing = [i for i in target.items if i.field not in by_name]
    changed = [
        i
        for i in target.items
        if i.field in by_name and not fits(i.data_type, by_name[i.field].data_type)
    ]
    findings = []
    for item in missing:
        close = [
            name
            for name in difflib.get_close_matches(item.field, uncatalogued, n=3, cutoff=0.6)
            if fits(item.data_type, by_name[name].data_type)
        ]
        if close:
            findings.append(
                _finding(
                    "item_renamed",
                    "error",
                    f"信息项{_label(item)}在数据源表中已不存在，可能已更名为 {close[0]}。",
                    item=item,
                )
            )
        else:
            findings.append(
                _finding(
                    "item_missing", "error", f"数据源表中已没有信息项{_label(item)}。", item=item
                )
            )
    for item in changed:
        column = by_name[item.field]
        findings.append(
            _finding(
                "type_changed",
                "error",
                f"信息项{_label(item)}在目录中声明为“{_type_zh(item.data_type)}”，"
                f"数据源中的列却是“{_type_zh(column.data_type)}”（{column.native_type}）。",
                item=item,
            )
        )
    return missing, changed, findings


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def measure(target: Target, secret_key: str, sample_rows: int = SAMPLE_ROWS) -> Measured:
    """Read and validate the sample of one dataset. Uses no platform transaction: a slow
    source never holds the platform's database."""
    started = time.monotonic()
    measured = _measure(target, secret_key, sample_rows)
    measured.duration_ms = round((time.monotonic() - started) * 1000)
    return measured


def _measure(target: Target, secret_key: str, sample_rows: int) -> Measured:
    if target.binding is None or target.source is None:
        return Measured(Status.NO_SOURCE, "该数据集尚未挂接部门数据源，暂无法评估数据质量。")
    table = target.binding.table_name
    try:
        connector = connector_for(target.source, secret_key)
        columns = connector.columns(table)
        by_name = {c.name: c for c in columns}
        read = [i for i in target.items if i.field in by_name]
        raw: list[tuple[Any, ...]] = []
        total: int | None = None
        if read:
            key = target.binding.key_field
            order = [(key, False)] if key and key in by_name else []
            spec = SelectSpec(table, [i.field for i in read], order_by=order, limit=sample_rows)
            for batch in connector.select(spec, timeout_s=QUERY_TIMEOUT_S, batch_size=2_000):
                raw.extend(batch)
            total = connector.count(SelectSpec(table, [read[0].field]), timeout_s=QUERY_TIMEOUT_S)
    except ConnectorError as failure:
        return Measured(
            Status.UNREACHABLE,
            f"读取数据源失败，未能评估：{failure.message_zh}"[:500],
        )
    return _assess(target, columns, read, raw, total)


def _assess(
    target: Target,
    columns: Sequence[ColumnInfo],
    read: list[Item],
    raw: list[tuple[Any, ...]],
    total: int | None,
) -> Measured:
    rows = [[_cell(value, item) for value, item in zip(row, read, strict=True)] for row in raw]
    key = target.binding.key_field if target.binding else None
    key = key if key in {i.field for i in read} else None
    checked = _validate(read, rows, key) if read else _Validation()
    missing_items, changed_items, findings = _drift(target, columns)
    n, k, m = len(rows), len(read), len(target.items)
    missing_cells = Counter[str]()
    for row in rows:
        for value, item in zip(row, read, strict=True):
            if value is None:
                missing_cells[item.field] += 1

    fields_out: list[dict[str, Any]] = []
    source_types = {c.name: c for c in columns}
    for item in target.items:
        column = source_types.get(item.field)
        fields_out.append(
            {
                "field": item.field,
                "name": item.name,
                "type": item.data_type.value,
                "present": column is not None,
                "source_type": column.data_type.value if column else None,
                "missing": missing_cells[item.field],
                "type_errors": checked.type_errors[item.field],
            }
        )
    for item in read:
        errors = checked.type_errors[item.field]
        if errors:
            rows_at = checked.type_rows[item.field]
            findings.append(
                _finding(
                    "type_error",
                    "error",
                    f"{_label(item)}有 {errors:,} 个值不符合声明的类型“{_type_zh(item.data_type)}”"
                    f"（如样本第 {_rows_text(rows_at)} 行）。",
                    item=item,
                    count=errors,
                    rows=rows_at,
                )
            )
    for item in read:
        empty = missing_cells[item.field]
        if empty:
            share = _share(empty, n)
            findings.append(
                _finding(
                    "missing",
                    "warning" if share >= 0.1 else "info",
                    f"{_label(item)}有 {empty:,} 个空值（占 {share:.1%}）。",
                    item=item,
                    count=empty,
                )
            )
    if checked.duplicate_rows:
        findings.append(
            _finding(
                "duplicate_row",
                "error",
                f"有 {len(checked.duplicate_rows):,} 行与前面的某一行完全相同"
                f"（如样本第 {_rows_text(checked.duplicate_rows)} 行）。",
                count=len(checked.duplicate_rows),
                rows=checked.duplicate_rows,
            )
        )
    if checked.duplicate_keys and key is not None:
        key_item = next(i for i in read if i.field == key)
        findings.append(
            _finding(
                "duplicate_key",
                "error",
                f"主键{_label(key_item)}有 {len(checked.duplicate_keys):,} 个重复值"
                f"（如样本第 {_rows_text(checked.duplicate_keys)} 行）。",
                item=key_item,
                count=len(checked.duplicate_keys),
                rows=checked.duplicate_keys,
            )
        )
    for kind, count in sorted(checked.other.items()):
        findings.append(
            _finding("other", "warning", f"Frictionless 报告 {count:,} 处 {kind}。", count=count)
        )
    if not n:
        findings.append(_finding("empty", "warning", "数据源表中没有数据。", count=0))
    if checked.truncated:
        findings.append(
            _finding(
                "error_limit", "info", f"错误过多，只统计了前 {MAX_ERRORS:,} 处。", count=MAX_ERRORS
            )
        )

    validity = _share(k - sum(1 for i in read if checked.type_errors[i.field]), k)
    completeness = 1 - _share(sum(missing_cells.values()), n * k) if n and k else 0.0
    if not n:
        uniqueness = 1.0 if k else 0.0
    elif key is None:
        uniqueness = 0.0 if checked.duplicate_rows else 1.0
    else:
        uniqueness = 0.5 * (not checked.duplicate_rows) + 0.5 * (not checked.duplicate_keys)
    conformity = _share(m - len(missing_items) - len(changed_items), m)
    dimensions = {
        "validity": validity,
        "completeness": completeness,
        "uniqueness": uniqueness,
        "conformity": conformity,
    }
    score = round(sum(WEIGHTS[name] * value for name, value in dimensions.items()))
    sampled = f"抽检 {n:,} 行" + (f"（共 {total:,} 行）" if total is not None else "")
    problems = sum(1 for f in findings if f["level"] == "error")
    message = f"{sampled}，{len(read)} 个数据项；" + (
        f"发现 {problems} 类问题。" if problems else "未发现类型、重复或结构问题。"
    )
    return Measured(
        Status.CHECKED,
        message,
        rows=n,
        total_rows=total,
        score=score,
        dimensions={name: round(value * 100, 1) for name, value in dimensions.items()},
        fields=fields_out,
        findings=findings,
    )
