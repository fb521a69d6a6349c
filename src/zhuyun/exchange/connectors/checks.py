"""Checking a query against the columns a source really has, before it reaches the source.

Every name is looked up in the introspected columns (so a name is never interpolated
unchecked), every value is coerced to its column's type (so a value is never SQL, and a
wrong type is a 422 rather than a driver error), and every shape rule of the contract is
enforced once here for all connectors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from zhuyun.exchange.connectors.base import FILTER_OPS, ColumnInfo, DataType, Filter, SelectSpec
from zhuyun.exchange.connectors.errors import BadFilter, BadSourceConfig, UnknownColumn

__all__ = [
    "MAX_IN_VALUES",
    "CheckedFilter",
    "CheckedSpec",
    "check_options",
    "check_run_args",
    "check_spec",
    "coerce",
]

MAX_IN_VALUES = 1000
_INTEGER = re.compile(r"[+-]?\d{1,30}")
_TYPE_ZH = {
    DataType.STRING: "字符串",
    DataType.INTEGER: "整数",
    DataType.DECIMAL: "数值",
    DataType.BOOLEAN: "布尔值",
    DataType.DATE: "日期",
    DataType.DATETIME: "日期时间",
    DataType.BINARY: "二进制",
}


@dataclass(frozen=True)
class CheckedFilter:
    """A filter whose column exists and whose values have the column's Python type."""

    column: ColumnInfo
    op: str
    value: Any = None
    values: tuple[Any, ...] = ()
    low: Any = None
    high: Any = None


MAX_OFFSET = 10_000_000  # deeper pages take the cursor (`after`): an offset is a scan


@dataclass(frozen=True)
class CheckedSpec:
    """A `SelectSpec` resolved against the table's columns; connectors build only from this."""

    table: str
    columns: tuple[ColumnInfo, ...]
    filters: tuple[CheckedFilter, ...]
    order_by: tuple[ColumnInfo, ...]
    descending: bool
    limit: int | None
    after: tuple[Any, ...] | None
    offset: int = 0


def _wrong_type(column: ColumnInfo, value: Any) -> BadFilter:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return BadFilter(
        f"The value {shown} does not fit the column {column.name!r} of type "
        f"{column.data_type.value}.",
        f"值 {shown} 与字段 {column.name!r} 的类型（{_TYPE_ZH[column.data_type]}）不符。",
        errors=[{"column": column.name, "type": column.data_type.value}],
    )


def _to_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            raise TypeError
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError
        return value
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise TypeError from None
        if not parsed.is_finite():
            raise TypeError
        return parsed
    raise TypeError


def _to_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise TypeError


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise TypeError
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise TypeError from None
    raise TypeError


def _to_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            raise TypeError from None
    raise TypeError


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise TypeError


def _to_string(value: Any) -> str:
    if isinstance(value, str) and "\x00" not in value:
        return value
    raise TypeError


def _to_binary(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError


_COERCERS = {
    DataType.STRING: _to_string,
    DataType.INTEGER: _to_integer,
    DataType.DECIMAL: _to_decimal,
    DataType.BOOLEAN: _to_boolean,
    DataType.DATE: _to_date,
    DataType.DATETIME: _to_datetime,
    DataType.BINARY: _to_binary,
}


def coerce(value: Any, column: ColumnInfo) -> Any:
    """`value` as the Python type of `column`'s data type; BadFilter when it cannot be."""
    if value is None:
        raise BadFilter(
            f"A null value cannot be compared on {column.name!r}; use the is_null filter.",
            f"字段 {column.name!r} 不能与空值比较，请使用 is_null 条件。",
            errors=[{"column": column.name}],
        )
    try:
        return _COERCERS[column.data_type](value)
    except TypeError:
        raise _wrong_type(column, value) from None


def _resolve(
    names: Sequence[str], available: Mapping[str, ColumnInfo], table: str, source: str
) -> tuple[ColumnInfo, ...]:
    missing = [name for name in names if name not in available]
    if missing:
        raise UnknownColumn(source, table, [str(name) for name in missing])
    return tuple(available[name] for name in names)


def _bad(op: str, column: ColumnInfo, en: str, zh: str) -> BadFilter:
    return BadFilter(
        f"The {op} filter on {column.name!r} {en}",
        f"字段 {column.name!r} 的 {op} 条件{zh}",
        errors=[{"column": column.name, "op": op}],
    )


def _check_filter(f: Filter, column: ColumnInfo) -> CheckedFilter:
    op = f.op
    kind = column.data_type
    if op not in FILTER_OPS:
        raise BadFilter(
            f"Unknown filter operator {str(op)[:40]!r}; use one of {', '.join(FILTER_OPS)}.",
            f"不支持的筛选运算符 {str(op)[:40]!r}，可用：{'、'.join(FILTER_OPS)}。",
            errors=[{"column": column.name, "op": str(op)[:40]}],
        )
    if op == "eq":
        return CheckedFilter(column, op, value=coerce(f.value, column))
    if op == "in":
        if isinstance(f.value, str | bytes) or not isinstance(f.value, Sequence | set):
            raise _bad(op, column, "needs a list of values.", "需要一个取值列表。")
        if len(f.value) > MAX_IN_VALUES:
            raise _bad(
                op,
                column,
                f"has more than {MAX_IN_VALUES} values.",
                f"的取值超过 {MAX_IN_VALUES} 个。",
            )
        return CheckedFilter(column, op, values=tuple(coerce(v, column) for v in f.value))
    if op in ("prefix", "contains"):
        if kind is not DataType.STRING:
            raise _bad(op, column, "applies to text columns only.", "只适用于文本字段。")
        return CheckedFilter(column, op, value=coerce(f.value, column))
    if op == "is_null":
        if not isinstance(f.value, bool):
            raise _bad(op, column, "needs true or false.", "需要 true 或 false。")
        return CheckedFilter(column, op, value=f.value)
    # range
    if kind in (DataType.BOOLEAN, DataType.BINARY):
        raise _bad(op, column, "does not apply to this type.", "不适用于该类型。")
    if f.low is None and f.high is None:
        raise _bad(op, column, "needs a low or a high bound.", "需要下限或上限。")
    low = None if f.low is None else coerce(f.low, column)
    high = None if f.high is None else coerce(f.high, column)
    if low is not None and high is not None and low > high:
        raise _bad(op, column, "has its low bound above its high bound.", "的下限大于上限。")
    return CheckedFilter(column, op, low=low, high=high)


MAX_ANY_FILTERS = 50


def _check_any_filter(
    f: Filter, by_name: Mapping[str, ColumnInfo], table: str, source: str
) -> CheckedFilter:
    """A filter, or an `any` group of filters of which one must hold."""
    if f.op != "any":
        return _check_filter(f, _resolve([f.field], by_name, table, source)[0])
    subs = f.value
    if (
        isinstance(subs, str | bytes)
        or not isinstance(subs, Sequence)
        or not 0 < len(subs) <= MAX_ANY_FILTERS
        or not all(isinstance(sub, Filter) and sub.op != "any" for sub in subs)
    ):
        raise BadFilter(
            f"An 'any' filter needs 1 to {MAX_ANY_FILTERS} plain filters.",
            f"“any”条件须包含 1 至 {MAX_ANY_FILTERS} 个普通条件。",
        )
    checked = tuple(_check_any_filter(sub, by_name, table, source) for sub in subs)
    return CheckedFilter(checked[0].column, "any", values=checked)


def check_spec(spec: SelectSpec, available: Sequence[ColumnInfo], source: str) -> CheckedSpec:
    """Resolve and validate `spec` against the table's columns (see the module docstring)."""
    by_name = {column.name: column for column in available}
    if isinstance(spec.columns, str) or not spec.columns:
        raise BadFilter("Choose at least one column.", "请至少选择一个字段。")
    if len(set(spec.columns)) != len(spec.columns):
        raise BadFilter("A column is chosen twice.", "有字段被重复选择。")
    columns = _resolve(list(spec.columns), by_name, spec.table, source)
    filters = tuple(_check_any_filter(f, by_name, spec.table, source) for f in spec.filters)
    order_names = [name for name, _ in spec.order_by]
    order_by = _resolve(order_names, by_name, spec.table, source)
    directions = {bool(descending) for _, descending in spec.order_by}
    if len(directions) > 1:
        raise BadFilter(
            "Order by columns in one direction only (all ascending or all descending).",
            "排序字段须同为升序或同为降序。",
        )
    if len(set(order_names)) != len(order_names):
        raise BadFilter("A column appears twice in the order.", "排序中有重复字段。")
    limit = spec.limit
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise BadFilter("The limit must be a whole number ≥ 0.", "行数上限须为非负整数。")
    offset = spec.offset
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise BadFilter(
            f"The offset must be a whole number from 0 to {MAX_OFFSET:,}.",
            f"偏移量须为 0 至 {MAX_OFFSET:,} 的整数。",
        )
    after: tuple[Any, ...] | None = None
    if spec.after is not None:
        if isinstance(spec.after, str | bytes) or len(spec.after) != len(order_by) or not order_by:
            raise BadFilter(
                "The page cursor needs one value per order column.",
                "分页游标须为每个排序字段给出一个值。",
            )
        after = tuple(
            coerce(value, column) for value, column in zip(spec.after, order_by, strict=True)
        )
    return CheckedSpec(
        table=spec.table,
        columns=columns,
        filters=filters,
        order_by=order_by,
        descending=directions == {True},
        limit=limit,
        after=after,
        offset=offset,
    )


def check_run_args(timeout_s: float, batch_size: int) -> None:
    """The numbers a caller passes to select/lookup; a programming error is still a 422."""
    if (
        isinstance(timeout_s, bool)
        or not isinstance(timeout_s, int | float)
        or not (0 < timeout_s <= 3600)
    ):
        raise BadFilter("The timeout must be between 0 and 3600 s.", "超时须在 0 到 3600 秒之间。")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise BadFilter("The batch size must be a positive number.", "批大小须为正整数。")


def check_options(
    options: Mapping[str, Any], allowed: Mapping[str, type | tuple[type, ...]], kind: str
) -> dict[str, Any]:
    """The options of a binding, refusing names the kind does not know and wrong types."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        known = sorted(allowed)
        raise BadSourceConfig(
            f"Unknown options for a {kind} source: {', '.join(unknown)}; known: "
            f"{', '.join(known) or 'none'}.",
            f"{kind} 数据源不支持选项：{'、'.join(unknown)}；支持：{'、'.join(known) or '无'}。",
        )
    for name, value in options.items():
        expected = allowed[name]
        wrong_bool = isinstance(value, bool) and bool not in (
            expected if isinstance(expected, tuple) else (expected,)
        )
        if wrong_bool or not isinstance(value, expected):
            raise BadSourceConfig(
                f"The option {name!r} of a {kind} source has the wrong type.",
                f"{kind} 数据源的选项 {name!r} 类型有误。",
            )
    return dict(options)
