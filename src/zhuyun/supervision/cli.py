"""`zhuyun supervision …`: import another system's event log, export the power-operation log."""

from __future__ import annotations

import shutil
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from zhuyun.core.db import Database
from zhuyun.core.errors import Problem
from zhuyun.core.ledger import SYSTEM
from zhuyun.core.settings import get_settings
from zhuyun.supervision import service
from zhuyun.supervision.eventlog import CsvColumns, LedgerSlice

supervision_app = typer.Typer(
    help="数据铁笼: event logs and process mining / 权力运行日志与过程挖掘。", no_args_is_help=True
)
console = Console()


@supervision_app.command("import-log")
def import_log(
    file: Annotated[
        Path,
        typer.Argument(
            help="XES (.xes, .xes.gz) or CSV file", exists=True, dir_okay=False, readable=True
        ),
    ],
    format: Annotated[str | None, typer.Option(help="xes | csv (default: by file name)")] = None,
    name: Annotated[str, typer.Option(help="Name of the log")] = "",
    case_column: Annotated[str, typer.Option(help="CSV: case id column")] = "case:concept:name",
    activity_column: Annotated[str, typer.Option(help="CSV: activity column")] = "concept:name",
    timestamp_column: Annotated[str, typer.Option(help="CSV: time column")] = "time:timestamp",
    resource_column: Annotated[str, typer.Option(help="CSV: resource column ('' for none)")] = (
        "org:resource"
    ),
    timestamp_format: Annotated[
        str | None, typer.Option(help="CSV: strptime format of the time (default ISO 8601)")
    ] = None,
) -> None:
    """Import an XES or CSV event log (all or nothing) / 导入外部系统的事件日志。"""
    settings = get_settings()
    database = Database(settings.database_url)
    columns = CsvColumns(case_column, activity_column, timestamp_column, resource_column or None,
                         timestamp_format)  # fmt: skip
    try:
        with database.session() as session, open(file, "rb") as stream:
            outcome = service.import_log(
                session, SYSTEM, stream, filename=file.name, fmt=format, name=name,
                columns=columns,
            )  # fmt: skip
            log = outcome.log
            session.flush()
            summary = (log.id, log.name, log.cases, log.events, log.activities)
    except Problem as problem:
        console.print(f"[red]{problem.message_en}[/]\n{problem.message_zh}")
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    log_id, log_name, cases, events, activities = summary
    console.print(
        f"Imported log {log_id} {log_name!r}: {cases:,} cases, {events:,} events, "
        f"{activities} activities. 已导入日志 {log_id}：{cases:,} 个案件，{events:,} 个事件。"
    )


@supervision_app.command("export")
def export(
    format: Annotated[str, typer.Option(help="xes | ocel-json | ocel-sqlite")] = "xes",
    output: Annotated[Path | None, typer.Option(help="File to write (default by format)")] = None,
    activity: Annotated[str | None, typer.Option(help="Activity prefix, e.g. auth.")] = None,
    since: Annotated[datetime | None, typer.Option(help="From (UTC, ISO 8601)")] = None,
    until: Annotated[datetime | None, typer.Option(help="Until, exclusive (UTC)")] = None,
    unit: Annotated[int | None, typer.Option(help="Unit id")] = None,
    case_prefix: Annotated[str | None, typer.Option(help="Case id prefix")] = None,
) -> None:
    """Export the ledger (a slice of it) as XES or OCEL 2.0 / 导出权力运行日志。"""
    from datetime import UTC

    settings = get_settings()
    database = Database(settings.database_url)
    where = LedgerSlice(
        activity=activity,
        since=since.replace(tzinfo=since.tzinfo or UTC) if since else None,
        until=until.replace(tzinfo=until.tzinfo or UTC) if until else None,
        unit_id=unit,
        case_prefix=case_prefix,
    )
    suffix = {"xes": ".xes", "ocel-json": ".jsonocel", "ocel-sqlite": ".sqlite"}
    try:
        with database.session() as session:
            written = service.export_ledger(session, SYSTEM, where, format)
    except Problem as problem:
        console.print(f"[red]{problem.message_en}[/]\n{problem.message_zh}")
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    target = output or Path(f"zhuyun-ledger{suffix[format]}")
    shutil.move(written, target)
    console.print(f"Wrote {target} ({target.stat().st_size:,} bytes). 已写入 {target}。")


@supervision_app.command("watch")
def watch(
    interval: Annotated[float, typer.Option(help="seconds between polls of the ledger")] = 0.2,
    once: Annotated[bool, typer.Option(help="catch up with the ledger, then stop")] = False,
) -> None:
    """Evaluate the rules on each new ledger entry (a warning within seconds) / 实时监督。"""
    from zhuyun.supervision.rules import watcher

    database = Database(get_settings().database_url)
    try:
        if once:
            done = watcher.catch_up(database)
            console.print(
                f"{done.entries} entries evaluated, {done.warnings} warnings raised, "
                f"{done.escalated} escalated; watermark {done.watermark}"
            )
            return
        stop = threading.Event()
        console.print(f"watching the ledger every {interval}s (Ctrl-C stops)")
        try:
            watcher.watch(database, stop, interval)
        except KeyboardInterrupt:
            stop.set()
    finally:
        database.dispose()


@supervision_app.command("batch")
def batch() -> None:
    """All rules over the whole ledger on DuckDB; findings become warnings once / 历史批量检查。"""
    from zhuyun.supervision.rules.batch import run_over_ledger

    database = Database(get_settings().database_url)
    try:
        with database.session() as session:
            summary = run_over_ledger(session)
    finally:
        database.dispose()
    console.print(
        f"{summary['events']} events, {summary['findings']} findings, "
        f"{summary['raised']} new warnings: {summary['by_template']}"
    )
