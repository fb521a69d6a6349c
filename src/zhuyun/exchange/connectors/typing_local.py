"""Types for sources that carry none of their own (XLSX cells, JSON values): guess from a
sample, then hold every value to the guess so filters and ordering compare like with like."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from typing import Any

from zhuyun.exchange.connectors.base import DataType

__all__ = ["infer_type", "normaliser"]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "decimal"
    if isinstance(value, datetime):
        return "date" if value.time() == time(0) else "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return "date"
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        return "datetime"
    return "string"


def infer_type(values: Iterable[Any]) -> tuple[DataType, str]:
    """The type that every non-null sample value fits, and a word for what was seen."""
    kinds = {_kind(value) for value in values if value is not None and value != ""}
    if not kinds:
        return DataType.STRING, "empty"
    if len(kinds) == 1:
        kind = kinds.pop()
        return DataType(kind), kind
    if kinds == {"integer", "decimal"}:
        return DataType.DECIMAL, "number"
    if kinds == {"date", "datetime"}:
        return DataType.DATETIME, "datetime"
    return DataType.STRING, "mixed"


def _as_string(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _as_integer(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _as_date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return date.fromisoformat(value)
    return value


def _as_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


_NORMALISERS: dict[DataType, Callable[[Any], Any]] = {
    DataType.STRING: _as_string,
    DataType.INTEGER: _as_integer,
    DataType.DATE: _as_date,
    DataType.DATETIME: _as_datetime,
}


def normaliser(data_type: DataType) -> Callable[[Any], Any]:
    """A function holding one value to `data_type` (None stays None; a misfit stays as it is
    and then matches no filter)."""
    convert = _NORMALISERS.get(data_type)
    if convert is None:
        return lambda value: value
    return lambda value: None if value is None else convert(value)
