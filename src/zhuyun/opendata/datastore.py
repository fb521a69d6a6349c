"""CKAN's DataStore read API over the open datasets: `datastore_search`, answered by the
exchange gateway under the open policy — the data stays in the department's database, only
opened items are read, masked items come masked, and every call is in the ledger.

Paging follows CKAN (`limit`, `offset`, `_links.next`); the next link also carries a sealed
`cursor` (keyset paging), so a client that follows `_links` pages through a million rows
without the source scanning past every skipped row.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from zhuyun.catalog.vocab import DataType
from zhuyun.core.calendar import china_today
from zhuyun.exchange.connectors import Filter
from zhuyun.exchange.service import gateway
from zhuyun.exchange.service.policy import OPEN_MAX_ROWS, OPENED_SENSITIVITIES
from zhuyun.identity.permissions import AccountKind, Principal
from zhuyun.opendata import usage
from zhuyun.opendata.service import ValidationError, find_resource
from zhuyun.opendata.visitors import OpenVisitor

OPEN_PURPOSE = "开放数据接口调用 open-data API"
# A client paging through a table asks for the same total on every page: counting a
# million rows costs as much as reading a page, so a total is kept this many seconds per
# (source, table, filters) and may be that old.
TOTAL_TTL_S = 10.0
_TOTALS_KEPT = 1024
DEFAULT_LIMIT = 100
MAX_LIMIT = OPEN_MAX_ROWS  # larger limits are capped, as CKAN caps at its rows_max
MAX_FILTER_VALUES = 100
# CKAN's DataStore column types for the catalog's item types
CKAN_TYPES = {
    DataType.STRING.value: "text",
    DataType.INTEGER.value: "int",
    DataType.DECIMAL.value: "numeric",
    DataType.BOOLEAN.value: "bool",
    DataType.DATE.value: "date",
    DataType.DATETIME.value: "timestamp",
    DataType.BINARY.value: "bytea",
}


def visitor_principal(visitor: OpenVisitor) -> Principal:
    """The visitor as the gateway's principal: the public, acting for no unit."""
    return Principal(
        account_id=visitor.key_owner_id or 0,
        username=visitor.label,
        display_name=visitor.label,
        kind=AccountKind.PERSON,
        unit_id=None,
        via="public",
    )


@dataclass(frozen=True)
class OpenItem:
    field: str
    label: str
    data_type: str


def opened_items(snapshot: Mapping[str, Any]) -> list[OpenItem]:
    """The items a dataset opens, in catalog order (sensitive and secret ones never)."""
    return [
        OpenItem(item["field"], item["name"], item["data_type"])
        for item in snapshot.get("items", [])
        if item.get("sensitivity") in OPENED_SENSITIVITIES
    ]


def _json_param(params: Mapping[str, Any], name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            raise ValidationError({name: ["不是有效的 JSON / not valid JSON"]}) from None
    return value


def _fields(params: Mapping[str, Any], opened: Sequence[OpenItem]) -> list[str]:
    raw = _json_param(params, "fields")
    names = {item.field for item in opened}
    if raw in (None, "", []):
        return [item.field for item in opened]
    wanted = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(wanted, list) or not all(isinstance(f, str) for f in wanted):
        raise ValidationError({"fields": ["须为字段名列表 / must be a list of field names"]})
    wanted = [f.strip() for f in wanted if f.strip() and f.strip() != "_id"]
    unknown = [f for f in wanted if f not in names]
    if unknown:
        raise ValidationError({"fields": [f"字段不存在 / field not found: {unknown[0][:60]}"]})
    return wanted or [item.field for item in opened]


def _filters(params: Mapping[str, Any], names: set[str]) -> list[Filter]:
    raw = _json_param(params, "filters")
    if raw in (None, "", {}):
        return []
    if not isinstance(raw, dict):
        raise ValidationError({"filters": ["须为 JSON 对象 / must be a JSON object"]})
    found: list[Filter] = []
    for field, value in raw.items():
        if field not in names:
            raise ValidationError({"filters": [f"字段不存在 / field not found: {field[:60]}"]})
        if isinstance(value, list):
            if not 0 < len(value) <= MAX_FILTER_VALUES:
                raise ValidationError(
                    {"filters": [f"每个字段 1 至 {MAX_FILTER_VALUES} 个取值 / 1 to 100 values"]}
                )
            found.append(Filter(field, "in", value))
        elif isinstance(value, str | int | float | bool):
            found.append(Filter(field, "eq", value))
        else:
            raise ValidationError({"filters": [f"{field[:60]}: 取值须为文本、数字或列表"]})
    return found


def _q(params: Mapping[str, Any], opened: Sequence[OpenItem]) -> list[Filter]:
    """CKAN's `q`: a text found in any text field, or {field: text} per field."""
    raw = _json_param(params, "q")
    if raw in (None, ""):
        return []
    text_fields = [item.field for item in opened if item.data_type == DataType.STRING.value]
    if isinstance(raw, str | int | float):
        words = str(raw).strip()[:100]
        if not words or not text_fields:
            return []
        return [Filter(text_fields[0], "any", [Filter(f, "contains", words) for f in text_fields])]
    if isinstance(raw, dict):
        found = []
        for field, words in raw.items():
            if field not in text_fields or not isinstance(words, str):
                raise ValidationError({"q": [f"不能按此字段全文检索 / not a text field: {field}"]})
            found.append(Filter(field, "contains", words[:100]))
        return found
    raise ValidationError({"q": ["须为文本或 JSON 对象 / must be text or a JSON object"]})


def _sort(params: Mapping[str, Any], names: set[str]) -> list[tuple[str, bool]]:
    raw = params.get("sort")
    if raw in (None, ""):
        return []
    if not isinstance(raw, str):
        raise ValidationError({"sort": ["须为文本，如 “name asc” / text such as 'name asc'"]})
    order: list[tuple[str, bool]] = []
    for part in raw.split(","):
        words = part.split()
        if not words:
            continue
        field, direction = words[0].strip('"'), (words[1].lower() if len(words) > 1 else "asc")
        if field not in names or direction not in ("asc", "desc") or len(words) > 2:
            raise ValidationError({"sort": [f"无法排序 / cannot sort by: {part.strip()[:60]}"]})
        order.append((field, direction == "desc"))
    if len({descending for _, descending in order}) > 1:
        raise ValidationError({"sort": ["排序方向须一致 / sort in one direction only"]})
    return order


def _int(params: Mapping[str, Any], name: str, default: int, high: int) -> int:
    raw = params.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: ["须为整数 / must be an integer"]}) from None
    if value < 0:
        raise ValidationError({name: ["须为非负整数 / must be a non-negative integer"]})
    return min(value, high)


def _flag(params: Mapping[str, Any], name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    return str(raw).lower() in ("true", "1", "yes")


_totals_lock = threading.Lock()
_totals: OrderedDict[tuple[Any, ...], tuple[float, int]] = OrderedDict()


def _total(session: Session, prepared: gateway.PreparedQuery) -> int:
    """How many rows match the query's filters (and the policy's row filter) on the
    source, counted at most `TOTAL_TTL_S` seconds ago."""
    spec = prepared.spec
    key = (
        str(session.get_bind().engine.url),
        prepared.binding.source_id,
        spec.table,
        json.dumps([repr(f) for f in spec.filters], ensure_ascii=False),
    )
    now = time.monotonic()
    with _totals_lock:
        kept = _totals.get(key)
        if kept is not None and now - kept[0] < TOTAL_TTL_S:
            _totals.move_to_end(key)
            return kept[1]
    total = gateway.count_matching(session, prepared)
    with _totals_lock:
        _totals[key] = (now, total)
        _totals.move_to_end(key)
        while len(_totals) > _TOTALS_KEPT:
            _totals.popitem(last=False)
    return total


def search(
    session: Session,
    secret_key: str,
    visitor: OpenVisitor,
    params: Mapping[str, Any],
    *,
    count_use: bool = True,
) -> dict[str, Any]:
    """CKAN's datastore_search over one open dataset's rows; counted as an API call of the
    dataset unless `count_use` is False (the portal's own preview)."""
    resource_id = params.get("resource_id") or params.get("id")
    if not isinstance(resource_id, str) or not resource_id:
        raise ValidationError({"resource_id": ["缺少必填参数 / Missing value"]})
    version = find_resource(session, resource_id)
    opened = opened_items(version.snapshot)
    names = {item.field for item in opened}
    shown = _fields(params, opened)
    fields = list(shown)
    limit = _int(params, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    offset = _int(params, "offset", 0, 10_000_000)
    cursor = params.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise ValidationError({"cursor": ["须为上一页返回的游标 / the cursor of a previous page"]})
    order = _sort(params, names)
    filters = _filters(params, names) + _q(params, opened)
    for condition in filters:
        for sub in condition.value if condition.op == "any" else [condition]:
            if sub.field not in fields:
                fields.append(sub.field)  # the gateway filters on items it reads
    request = gateway.QueryRequest(
        resource_id=version.resource_id,
        items=fields,
        purpose=OPEN_PURPOSE,
        filters=filters,
        order_by=order,
        limit=limit or 1,
        after=cursor or None,
        offset=0 if cursor else offset,
    )
    prepared = gateway.prepare_open(
        session,
        secret_key,
        visitor_principal(visitor),
        request,
        china_today(),
        has_key=visitor.has_key,
    )
    page = gateway.run_page(session, secret_key, prepared)
    if count_use:
        usage.record_use(session, version.resource_id, "api")
    records = [
        {"_id": offset + number, **{f: value for f, value in zip(fields, row, strict=True)}}
        for number, row in enumerate(page.rows[:limit], 1)
    ]
    if shown != fields:  # drop the items read only to filter on
        records = [{k: r[k] for k in ("_id", *shown)} for r in records]
    types = {item.field: item for item in opened}
    result: dict[str, Any] = {
        "resource_id": resource_id,
        "fields": [{"id": "_id", "type": "int"}]
        + [
            {
                "id": f,
                "type": "text" if f in page.masked else CKAN_TYPES.get(types[f].data_type, "text"),
                "info": {"label": types[f].label},
            }
            for f in shown
        ],
        "records": records,
        "limit": limit,
        "offset": offset,
        "_links": _links(params, resource_id, limit, offset, len(records), page.next_cursor, order),
    }
    if _flag(params, "include_total", True):
        result["total"] = _total(session, prepared)
        result["total_was_estimated"] = False
    for name in ("filters", "q", "sort"):
        if params.get(name) not in (None, ""):
            result[name] = _json_param(params, name)
    return result


def _links(
    params: Mapping[str, Any],
    resource_id: str,
    limit: int,
    offset: int,
    returned: int,
    cursor: str | None,
    order: Sequence[tuple[str, bool]],
) -> dict[str, str]:
    """CKAN's `_links`: the first page and the next; the next holds the keyset cursor when
    the pages are ordered by the key (a user's sort may tie, so it pages by offset)."""
    kept = {
        k: (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
        for k, v in params.items()
        if k not in ("offset", "cursor", "resource_id", "id") and v is not None
    }
    start = {"resource_id": resource_id, **kept}
    following = {**start, "offset": str(offset + returned)}
    if cursor and not order:
        following["cursor"] = cursor
    path = "/api/3/action/datastore_search?"
    return {"start": path + urlencode(start), "next": path + urlencode(following)}
