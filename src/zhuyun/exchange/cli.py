"""`zhuyun exchange …`: the platform admin's side of department nodes (前置机)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from zhuyun.core.db import Database
from zhuyun.core.errors import Problem
from zhuyun.core.settings import get_settings
from zhuyun.exchange.service import nodes
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL

exchange_app = typer.Typer(
    help="The sharing exchange: department nodes / 共享交换：前置机。", no_args_is_help=True
)
console = Console()


@exchange_app.command("approve-node")
def approve_node(
    code: Annotated[str, typer.Argument(help="The code `zhuyun node init` printed")],
) -> None:
    """Approve a node by its registration (or key-rotation) code / 批准前置机注册码。"""
    settings = get_settings()
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            node = nodes.approve_code(session, SYSTEM_PRINCIPAL, settings, code)
            name, status, kid = node.name, node.status, node.key_id
    except Problem as problem:
        console.print(f"[red]{problem.message_zh}[/red] {problem.message_en}")
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    platform_kid, public = nodes.platform_public(settings)
    console.print(f"前置机 {name} 已批准 / node {name} approved ({status}, key {kid})")
    console.print("On the node, trust the platform's key / 在前置机上执行：")
    typer.echo(f"zhuyun node trust --config node.toml {public}")
    console.print(f"(platform key id {platform_kid})")


@exchange_app.command("revoke-node")
def revoke_node(
    name: Annotated[str, typer.Argument(help="The node's name")],
    reason: Annotated[str, typer.Option(help="Why / 吊销原因")] = "revoked by the platform admin",
) -> None:
    """Revoke a node's key: the platform no longer sends it queries / 吊销前置机。"""
    settings = get_settings()
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            rows, _ = nodes.list_nodes(session, 0, 10_000)
            node = next((n for n in rows if n.name == name), None)
            if node is None:
                console.print(f"[red]没有前置机 {name}[/red] / no node {name}")
                raise typer.Exit(1)
            nodes.revoke(session, SYSTEM_PRINCIPAL, settings, node.id, reason)
    finally:
        database.dispose()
    console.print(f"前置机 {name} 已吊销 / node {name} revoked")


@exchange_app.command("nodes")
def list_nodes(
    check: Annotated[bool, typer.Option(help="Ask each approved node for its health")] = False,
) -> None:
    """The nodes with status, version and latency / 前置机列表。"""
    settings = get_settings()
    database = Database(settings.database_url)
    table = Table("name", "unit", "status", "url", "key", "version", "health", "latency ms")
    try:
        with database.session() as session:
            rows, _ = nodes.list_nodes(session, 0, 10_000)
            for node in rows:
                if check and node.status == "approved":
                    nodes.check_node(session, settings, node.id)
                table.add_row(
                    node.name, node.unit, node.status, node.url, node.key_id, node.version or "",
                    node.health_message or "", f"{node.latency_ms or '':}",
                )  # fmt: skip
    finally:
        database.dispose()
    console.print(table)


@exchange_app.command("deliver")
def deliver(
    loop: Annotated[
        bool, typer.Option("--loop/--once", help="Keep delivering until stopped (Ctrl+C)")
    ] = False,
    interval: Annotated[
        float, typer.Option(help="Seconds between passes with --loop", min=0.05, max=3600)
    ] = 5.0,
) -> None:
    """Read subscriptions' changes and push webhook deliveries / 投递订阅变更。"""
    import time

    from zhuyun.exchange.service.deliveries import deliver_once

    settings = get_settings()
    database = Database(settings.database_url)
    nodes.platform_key(settings)  # node-hosted resources are read with the platform's key
    try:
        while True:
            report = deliver_once(database, settings)
            console.print(
                f"读取 {report.read} 批，投递 {report.delivered} 批，失败 {report.failed} 次，"
                f"暂停 {report.suspended} 个订阅 / read {report.read}, delivered "
                f"{report.delivered}, failed {report.failed}, suspended {report.suspended}"
            )
            if not loop:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        database.dispose()
