"""CKAN's `datastore_search_sql`: one read-only SELECT over open datasets, for the analyses
a filter cannot express (group by, joins, aggregates).

The statement is parsed with sqlglot and refused unless it is a single query whose every
table is an open dataset's resource (`"zy-…-data"`) or one of its own CTEs, and that calls
no function reading files or other databases. Each dataset it names is read through the
gateway's open policy (opened items only, masked where the catalog masks, ledgered) and
streamed into an in-memory DuckDB that has no access to files, extensions or settings;
the query runs there under a time limit and its answer is capped.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from contextlib import ExitStack
from typing import Any

import duckdb
import sqlglot
from sqlalchemy.orm import Session
from sqlglot import exp
from sqlglot.errors import ParseError

from zhuyun.core.calendar import china_today
from zhuyun.core.db import Database
from zhuyun.exchange.connectors.watchdog import DeadlineExpired, interrupting_duckdb
from zhuyun.exchange.formats import AnyBatch, OutputFormat, arrow_reader, jsonable
from zhuyun.exchange.service import gateway
from zhuyun.opendata import usage
from zhuyun.opendata.datastore import CKAN_TYPES, OPEN_PURPOSE, opened_items, visitor_principal
from zhuyun.opendata.service import NotFound, ValidationError, find_resource
from zhuyun.opendata.visitors import OpenVisitor

MAX_SQL_LENGTH = 10_000
MAX_TABLES = 5
MAX_RECORDS = 1_000  # rows of an answer; more are cut and `records_truncated` says so
TIME_LIMIT_S = 20.0
# Functions that reach outside the query's own tables: files, URLs, other databases, the
# engine's settings and catalog. Refused by name, whatever sqlglot makes of them — and the
# DuckDB they would run in has external access switched off as well.
_OUTSIDE = ("READ_", "_SCAN", "GLOB", "SNIFF_CSV", "QUERY", "DUCKDB_", "PRAGMA_", "SQLITE_")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # sqlglot underlines the bad token for terminals
_OUTSIDE_EXACT = {"CURRENT_SETTING", "GETENV", "GETVARIABLE", "WHICH_SECONDARY", "LOAD"}


def _refuse(message_zh: str, message_en: str) -> ValidationError:
    return ValidationError({"sql": [f"{message_zh} / {message_en}"]})


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).upper()
    return node.sql_name().upper()


def _reads_outside(node: exp.Func) -> bool:
    name = _function_name(node)
    return name in _OUTSIDE_EXACT or any(
        name.startswith(part) if part.endswith("_") else part in name for part in _OUTSIDE
    )


def parse_select(sql: str) -> tuple[exp.Expression, list[str]]:
    """The statement, checked, and the resource names it reads; ValidationError otherwise."""
    if not isinstance(sql, str) or not sql.strip():
        raise _refuse("缺少 SQL 语句", "Missing the sql parameter")
    if len(sql) > MAX_SQL_LENGTH:
        raise _refuse(f"SQL 超过 {MAX_SQL_LENGTH} 个字符", "The statement is too long")
    try:
        statements = [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
    except (ParseError, sqlglot.errors.TokenError) as exc:
        reason = _ANSI.sub("", str(exc)).splitlines()[0][:200]
        raise _refuse("SQL 无法解析", f"Cannot parse the statement: {reason}") from None
    if len(statements) != 1:
        raise _refuse("只能提交一条 SELECT 语句", "Send exactly one SELECT statement")
    statement = statements[0]
    if not isinstance(statement, exp.Select | exp.SetOperation):
        raise _refuse("只允许只读的 SELECT 查询", "Only a read-only SELECT is allowed")
    if any(statement.find_all(exp.Into, exp.Command, exp.Pragma, exp.Copy, exp.Set)):
        raise _refuse("只允许只读的 SELECT 查询", "Only a read-only SELECT is allowed")
    for function in statement.find_all(exp.Func):
        if _reads_outside(function):
            name = _function_name(function)
            raise _refuse(f"不允许调用函数 {name}", f"The function {name} is not allowed")
    ctes = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
    resources: list[str] = []
    for table in statement.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or table.args.get("db"):
            raise _refuse(
                "只能查询开放数据集的资源表", "Only open datasets' resource tables can be queried"
            )
        if table.name in ctes:
            continue
        if table.name not in resources:
            resources.append(table.name)
    if len(resources) > MAX_TABLES:
        raise _refuse(f"一次最多查询 {MAX_TABLES} 个资源", f"At most {MAX_TABLES} resources")
    return statement, resources


def _references(statement: exp.Expression, name: str) -> int:
    return sum(1 for table in statement.find_all(exp.Table) if table.name == name)


def _rename_tables(statement: exp.Expression, names: dict[str, str]) -> str:
    """The statement in DuckDB's dialect with each resource read from its view."""

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name in names:
            alias = node.alias or node.name
            return exp.Table(
                this=exp.to_identifier(names[node.name]),
                alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)),
            )
        return node

    return statement.transform(rename).sql(dialect="duckdb")


def search_sql(
    session: Session,
    database: Database,
    secret_key: str,
    visitor: OpenVisitor,
    sql: Any,
    *,
    count_use: bool = True,
) -> dict[str, Any]:
    """Run the checked statement over the open datasets it names; each counts an API call
    of its dataset unless `count_use` is False (the portal's own charts)."""
    statement, resources = parse_select(sql)
    prepared = []
    for resource_id in resources:
        try:
            version = find_resource(session, resource_id)
        except NotFound:
            raise _refuse(
                f"{resource_id[:80]} 不是开放数据集的资源",
                f"{resource_id[:80]} is not an open dataset's resource",
            ) from None
        items = [item.field for item in opened_items(version.snapshot)]
        request = gateway.QueryRequest(
            resource_id=version.resource_id,
            items=items,
            purpose=f"{OPEN_PURPOSE} (SQL)",
            limit=gateway.MAX_EXPORT_ROWS,
            format=OutputFormat.ARROW,
            export=True,
        )
        prepared.append(
            gateway.prepare_open(
                session,
                secret_key,
                visitor_principal(visitor),
                request,
                china_today(),
                has_key=visitor.has_key,
            )
        )
    if count_use:
        for query in prepared:
            usage.record_use(session, query.request.resource_id, "api")
    session.commit()  # the reads are ledgered in units of work of their own
    with ExitStack() as cleanup:
        connection = duckdb.connect(":memory:", config={"autoload_known_extensions": False})
        cleanup.callback(connection.close)
        names: dict[str, str] = {}
        for index, (resource_id, query) in enumerate(zip(resources, prepared, strict=True)):
            batches = _open(session, database, secret_key, query)
            cleanup.callback(batches.close)  # ends the stream: its ledger entry is written
            reader = arrow_reader(query.request.items, query.data_types, batches)
            view = f"resource_{index}"
            if _references(statement, resource_id) > 1:
                # a stream is read once: a dataset the query scans twice is read in first
                connection.register(view, reader.read_all())
            else:
                connection.register(view, reader)
            names[resource_id] = view
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")
        text = _rename_tables(statement, names)
        try:
            with interrupting_duckdb(connection, TIME_LIMIT_S):
                cursor = connection.execute(text)
                columns = [d[0] for d in cursor.description or ()]
                types = [str(d[1]) for d in cursor.description or ()]
                rows = cursor.fetchmany(MAX_RECORDS + 1)
        except DeadlineExpired:
            raise _refuse(
                f"查询超过 {TIME_LIMIT_S:.0f} 秒，已取消",
                "The query ran too long and was cancelled",
            ) from None
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0][:300]
            raise _refuse("SQL 执行出错", message) from None
    return {
        "sql": sql,
        "fields": [{"id": c, "type": _ckan_type(t)} for c, t in zip(columns, types, strict=True)],
        "records": [
            {c: jsonable(v) for c, v in zip(columns, row, strict=True)}
            for row in rows[:MAX_RECORDS]
        ],
        "records_truncated": len(rows) > MAX_RECORDS,
    }


def _open(
    session: Session, database: Database, secret_key: str, prepared: gateway.PreparedQuery
) -> Generator[AnyBatch, None, None]:
    started = gateway.open_export(session, prepared)
    return gateway.stream_export(database, secret_key, prepared, started)


_DUCK_TO_ITEM = {
    "VARCHAR": "string",
    "BIGINT": "integer",
    "INTEGER": "integer",
    "HUGEINT": "integer",
    "DOUBLE": "decimal",
    "FLOAT": "decimal",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "datetime",
}


def _ckan_type(duck_type: str) -> str:
    if duck_type.startswith("DECIMAL"):
        return "numeric"
    return CKAN_TYPES.get(_DUCK_TO_ITEM.get(duck_type, "string"), "text")
