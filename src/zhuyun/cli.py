"""The `zhuyun` command: build the demo city, serve, migrate, verify the ledger."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from zhuyun import __version__
from zhuyun.core import ledger
from zhuyun.core.db import Database
from zhuyun.core.settings import Settings, get_settings
from zhuyun.exchange.cli import exchange_app
from zhuyun.exchange.node.cli import node_app
from zhuyun.governance.cli import governance_app
from zhuyun.services.certificates.cli import certificates_app
from zhuyun.supervision.cli import supervision_app

app = typer.Typer(
    help="筑云 zhuyun — 贵阳模式大数据政务平台 / a digital-government platform.\n\n"
    "Start with `zhuyun demo`: it builds a demo city on SQLite and serves it at "
    "http://127.0.0.1:8000.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
db_app = typer.Typer(
    help="The platform database (Alembic migrations) / 平台数据库。", no_args_is_help=True
)
ledger_app = typer.Typer(
    help="The tamper-evident ledger / 审计台账（哈希链）。", no_args_is_help=True
)
opendata_app = typer.Typer(help="The open-data portal / 开放数据门户。", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
app.add_typer(opendata_app, name="opendata")
app.add_typer(governance_app, name="governance")
app.add_typer(supervision_app, name="supervision")
app.add_typer(exchange_app, name="exchange")
app.add_typer(node_app, name="node")
app.add_typer(certificates_app, name="certificates")
console = Console()


def _settings(data_dir: Path | None = None) -> Settings:
    if data_dir is not None:
        os.environ["ZHUYUN_DATA_DIR"] = str(data_dir)
        get_settings.cache_clear()
    return get_settings()


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn

    from zhuyun.app import create_app

    host = host or settings.host
    port = port or settings.port
    console.print(
        f"[bold green]筑云 zhuyun[/] serving at [link]http://{host}:{port}[/link] (Ctrl+C to stop)"
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
def version() -> None:
    """Print the version / 显示版本。"""
    console.print(f"zhuyun {__version__}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (ZHUYUN_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (ZHUYUN_PORT)", min=1, max=65535)] = None,
) -> None:
    """Serve the platform on its configured database / 启动平台服务。"""
    from zhuyun.migrations import is_up_to_date

    settings = _settings()
    database = Database(settings.database_url)
    if not is_up_to_date(database):
        console.print(
            "[red]The database schema is not up to date; run `zhuyun db upgrade` "
            "first.[/] 数据库结构不是最新，请先运行 zhuyun db upgrade。"
        )
        raise typer.Exit(2)
    database.dispose()
    _serve(settings, host, port)


@app.command()
def demo(
    scale: Annotated[str, typer.Option(help="test | small | city")] = "small",
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed builds the same city")
    ] = 2026,
    port: Annotated[int | None, typer.Option(help="Port to serve on", min=1, max=65535)] = None,
    host: Annotated[str | None, typer.Option(help="Address to bind")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where the demo city lives (./var)")] = None,
    rebuild: Annotated[bool, typer.Option(help="Build again even if a demo city exists")] = False,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the platform after building")
    ] = True,
) -> None:
    """Build the demo city (Guiyang) and serve it / 生成演示城市并启动。"""
    from zhuyun.demo.builder import DemoAlreadyBuilt, build_demo
    from zhuyun.demo.scale import ScaleName

    try:
        scale_name = ScaleName(scale)
    except ValueError:
        console.print(
            f"[red]Unknown scale {scale!r}; use test, small or city.[/] "
            "规模须为 test、small 或 city。"
        )
        raise typer.Exit(2) from None
    settings = _settings(data_dir)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(step, total=total)
            progress.update(tasks[step], completed=done, total=total)

        try:
            result = build_demo(settings, scale_name, seed, rebuild=rebuild, progress=report)
        except DemoAlreadyBuilt as built:
            result = built.result
            console.print(
                "A demo city is already built here; `--rebuild` builds it anew. "
                "已有演示城市，使用 --rebuild 重新生成。"
            )
    table = Table(
        title=f"演示账号 Demo accounts — {result.city_name}（{result.scale}，seed {result.seed}）"
    )
    for column in ("角色 Role", "账号 Username", "密码 Password", "单位 Unit"):
        table.add_column(column)
    for account in result.accounts:
        table.add_row(account.role_label, account.username, account.password, account.unit_name)
    console.print(table)
    console.print(
        f"Platform database: {settings.redacted_database_url()}; department sources in "
        f"{settings.sources_dir}"
    )
    if serve_after:
        _serve(settings, host, port)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Create or migrate the platform schema / 创建或升级数据库结构。"""
    from zhuyun.migrations import current_revision, upgrade

    settings = _settings()
    database = Database(settings.database_url)
    upgrade(database, revision)
    console.print(
        f"{settings.redacted_database_url()} is at revision {current_revision(database)}."
    )
    database.dispose()


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision / 显示数据库结构版本。"""
    from zhuyun.migrations import current_revision, head_revision

    settings = _settings()
    database = Database(settings.database_url)
    console.print(f"current: {current_revision(database)}  head: {head_revision(database)}")
    database.dispose()


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Recompute the hash chain and name the first broken entry / 校验哈希链。"""
    settings = _settings()
    database = Database(settings.database_url)
    with database.session() as session:
        report = ledger.verify(session)
        if report.ok:
            ledger.checkpoint(session)
    database.dispose()
    if report.ok:
        console.print(
            f"[green]OK[/] {report.checked} entries, chain intact "
            f"({', '.join(sorted(report.algorithms)) or ledger.HASH_ALGORITHM}); "
            f"head #{report.head_seq} {report.head_hash[:16]}… 哈希链完整。"
        )
        return
    console.print(
        f"[red]BROKEN at entry {report.broken_seq}[/]: {report.problem_en}\n"
        f"哈希链断裂：{report.problem_zh}"
    )
    raise typer.Exit(1)


@opendata_app.command("quality")
def opendata_quality(
    resource: Annotated[
        int | None, typer.Option("--resource", help="Check this dataset only (its resource id)")
    ] = None,
    sample: Annotated[
        int, typer.Option(help="Rows read per dataset, in key order", min=1, max=1_000_000)
    ] = 10_000,
) -> None:
    """Validate the open datasets' data and score it / 开放数据质量检测与评分。"""
    from zhuyun.core.errors import NotFound
    from zhuyun.opendata import quality

    settings = _settings()
    database = Database(settings.database_url)
    try:
        reports = quality.run(
            database, settings.secret_key.get_secret_value(), resource, sample_rows=sample
        )
    except NotFound as missing:
        console.print(f"[red]{missing.message_en}[/] {missing.message_zh}")
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    table = Table(title="开放数据质量 Open-data quality")
    for column in ("资源 ID", "状态 Status", "评分 Score", "抽检行数 Rows", "说明 Summary"):
        table.add_column(column)
    for report in reports:
        table.add_row(
            str(report.resource_id),
            quality.STATUS_LABELS_ZH[quality.Status(report.status)],
            "—" if report.score is None else str(report.score),
            f"{report.rows_checked:,}",
            report.message,
        )
    console.print(table)
    scored = [r.score for r in reports if r.score is not None]
    average = f"{sum(scored) / len(scored):.1f}" if scored else "—"
    console.print(
        f"{len(reports)} datasets checked, {len(scored)} scored, average {average}. "
        f"已检测 {len(reports)} 个数据集，{len(scored)} 个有评分，平均 {average} 分。"
    )


if __name__ == "__main__":
    app()
