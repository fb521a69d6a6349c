"""What a dataset's page shows of its data: the first rows as a table, and a bar chart of
how its rows fall into the values of a category column when one suits (few distinct values,
e.g. 处罚类别 or 证照状态). Both are read like any API call: through the gateway's open
policy, counted and ledgered. The chart's counts are kept a few minutes per dataset
version, so a busy page does not re-read the whole table on every view."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from zhuyun.catalog.models import ResourceVersion
from zhuyun.catalog.vocab import OpenType
from zhuyun.core.db import Database
from zhuyun.core.errors import Problem
from zhuyun.opendata import datastore, datastore_sql
from zhuyun.opendata.service import ValidationError, dataset_name
from zhuyun.opendata.visitors import OpenVisitor

PREVIEW_ROWS = 10
MAX_CATEGORIES = 12
CHART_TTL_S = 600.0
_charts: dict[tuple[int, int], tuple[float, dict[str, Any] | None]] = {}
_charts_lock = threading.Lock()


@dataclass
class Preview:
    """The first rows (or why there are none) and the chart's data, if any."""

    fields: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None
    note: str = ""
    chart: dict[str, Any] | None = None


def preview_of(
    session: Session,
    database: Database,
    secret_key: str,
    visitor: OpenVisitor,
    version: ResourceVersion,
    bound: bool,
) -> Preview:
    if not bound:
        return Preview(note="该数据集尚未接入数据源，暂无数据预览。")
    if version.open_type == OpenType.CONDITIONAL.value and not visitor.has_key:
        return Preview(note="有条件开放数据：请在开发者中心申请密钥后通过接口调用或下载。")
    resource_id = f"{dataset_name(version.code)}-data"
    try:
        found = datastore.search(
            session,
            secret_key,
            visitor,
            {"resource_id": resource_id, "limit": PREVIEW_ROWS},
            count_use=False,
        )
    except (Problem, ValidationError):
        return Preview(note="数据源暂时无法访问，请稍后再试。")
    shown = [f for f in found["fields"] if f["id"] != "_id"]
    preview = Preview(shown, found["records"], found.get("total"))
    preview.chart = _chart(session, database, secret_key, visitor, version, resource_id, preview)
    return preview


def _candidates(preview: Preview) -> list[str]:
    """Text columns whose first rows repeat a value: categories, not names or codes."""
    found = []
    for column in preview.fields:
        if column.get("type") != "text":
            continue
        values = [r.get(column["id"]) for r in preview.records]
        if len(values) >= 3 and len(set(values)) < len(values):
            found.append(column["id"])
    return found[:3]


def _chart(
    session: Session,
    database: Database,
    secret_key: str,
    visitor: OpenVisitor,
    version: ResourceVersion,
    resource_id: str,
    preview: Preview,
) -> dict[str, Any] | None:
    key = (version.resource_id, version.version)
    with _charts_lock:
        cached = _charts.get(key)
    if cached is not None and time.monotonic() - cached[0] < CHART_TTL_S:
        return cached[1]
    chart = None
    labels = {f["id"]: f.get("info", {}).get("label", f["id"]) for f in preview.fields}
    for column in _candidates(preview):
        sql = (
            f'SELECT "{column}" AS value, count(*) AS n FROM "{resource_id}" '
            f"GROUP BY 1 ORDER BY n DESC, value LIMIT {MAX_CATEGORIES + 1}"
        )
        try:
            answer = datastore_sql.search_sql(
                session, database, secret_key, visitor, sql, count_use=False
            )
        except (Problem, ValidationError):
            break
        rows = answer["records"]
        if 2 <= len(rows) <= MAX_CATEGORIES:
            chart = {
                "title": f"按“{labels[column]}”统计的记录数",
                "bars": [{"name": str(r["value"]), "value": r["n"]} for r in rows],
            }
            break
    with _charts_lock:
        _charts[key] = (time.monotonic(), chart)
    return chart
