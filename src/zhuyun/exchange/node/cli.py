"""`zhuyun node …`: what a department's admin types on the node (前置机).

zhuyun node init --config node.toml         # keys + a one-time registration code
zhuyun node trust --config node.toml <key>  # the platform key the admin's approval printed
zhuyun node --config node.toml              # serve
zhuyun node rotate-keys --config node.toml  # a new key, announced signed by the old one
zhuyun node verify-log --config node.toml   # recompute the message log's hash chain
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import httpx
import typer
import uvicorn
from rich.console import Console

from zhuyun.exchange.node import keys, signing
from zhuyun.exchange.node.config import NodeConfig, NodeConfigError, load_config

node_app = typer.Typer(
    help="A department node (前置机): serve this department's sources to the platform over "
    "signed requests. Without a command: serve.",
    invoke_without_command=True,
)
console = Console(stderr=True)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="The node's TOML file / 前置机配置文件")
]


def _config(path: Path) -> NodeConfig:
    try:
        return load_config(path)
    except NodeConfigError as exc:
        console.print(f"[red]配置错误 / configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


@node_app.callback()
def serve(
    ctx: typer.Context,
    config: ConfigOption = Path("node.toml"),
    log_level: Annotated[str, typer.Option(help="uvicorn's log level")] = "warning",
) -> None:
    """Serve the node (when no command follows) / 启动前置机服务。"""
    if ctx.invoked_subcommand is not None:
        ctx.obj = config
        return
    settings = _config(config)
    if not settings.key_file.exists():
        console.print("先运行 `zhuyun node init` / run `zhuyun node init` first")
        raise typer.Exit(2)
    from zhuyun.exchange.node.server import create_node_app

    app = create_node_app(settings)
    console.print(
        f"前置机 {settings.name} 监听 / node listening on {settings.host}:{settings.port}"
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level)


def _path(ctx: typer.Context, config: Path | None) -> Path:
    return config or ctx.obj or Path("node.toml")


@node_app.command("init")
def init(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
    register: Annotated[
        str | None, typer.Option(help="Also send the code to this platform URL (pending approval)")
    ] = None,
) -> None:
    """Create the node's key (once) and print a one-time registration code / 生成密钥与注册码。"""
    settings = _config(_path(ctx, config))
    key, created = keys.load_or_create(settings.key_file)
    code = signing.make_registration(key, settings.name, settings.unit, settings.url)
    kid = signing.key_id(key.public_key())
    console.print(
        ("已生成密钥 / key created: " if created else "沿用已有密钥 / existing key: ") + kid
    )
    console.print("把下面的注册码交给平台管理员 / give this code to the platform admin:")
    typer.echo(code)
    console.print("平台管理员执行 / the admin runs: zhuyun exchange approve-node <code>")
    if register:
        response = httpx.post(f"{register.rstrip('/')}/api/exchange/nodes/register",
                              json={"code": code}, timeout=10)  # fmt: skip
        console.print(f"已提交平台 / sent to the platform: HTTP {response.status_code}")


@node_app.command("trust")
def trust(
    ctx: typer.Context,
    public_key: Annotated[str, typer.Argument(help="ed25519:… as the approval printed it")],
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
) -> None:
    """Trust a platform key: requests and grant tokens it signs are answered / 信任平台密钥。"""
    settings = _config(_path(ctx, config))
    try:
        kid = signing.key_id(signing.public_from_text(public_key))
    except signing.SignatureInvalid as exc:
        console.print(f"[red]不是有效的公钥 / not a valid public key:[/red] {exc}")
        raise typer.Exit(2) from None
    trusted = keys.read_trusted(settings.trusted_file)
    trusted[kid] = public_key.strip()
    keys.write_trusted(settings.trusted_file, trusted)
    console.print(f"已信任平台密钥 / trusting platform key {kid}")


@node_app.command("untrust")
def untrust(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The platform key id to stop trusting")],
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
) -> None:
    """Stop trusting a platform key (revocation on the node's side) / 撤销对平台密钥的信任。"""
    settings = _config(_path(ctx, config))
    trusted = keys.read_trusted(settings.trusted_file)
    if trusted.pop(key_id, None) is None:
        console.print(f"未信任该密钥 / not trusted: {key_id}")
        raise typer.Exit(1)
    keys.write_trusted(settings.trusted_file, trusted)
    console.print(f"已撤销信任 / no longer trusting {key_id}")


@node_app.command("rotate-keys")
def rotate_keys(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
    platform_url: Annotated[str | None, typer.Option(help="Default: [node] platform_url")] = None,
    activate: Annotated[
        bool, typer.Option(help="Switch to the pending key (after a manual approval)")
    ] = False,
) -> None:
    """A new key, announced to the platform signed by the current one / 轮换前置机密钥。"""
    settings = _config(_path(ctx, config))
    if activate:
        if not settings.pending_key_file.exists():
            console.print("没有待启用的密钥 / no pending key")
            raise typer.Exit(1)
        os.replace(settings.pending_key_file, settings.key_file)
        console.print("已启用新密钥 / the new key is active")
        return
    current = keys.read_private(settings.key_file)
    pending, _ = keys.load_or_create(settings.pending_key_file)
    code = signing.make_registration(
        pending, settings.name, settings.unit, settings.url, previous=current
    )
    url = platform_url or settings.platform_url
    if not url:
        console.print("无平台地址：请平台管理员执行 / no platform URL: the admin runs")
        typer.echo(f"zhuyun exchange approve-node {code}")
        console.print("然后 / then: zhuyun node rotate-keys --activate")
        return
    try:
        response = httpx.post(f"{url.rstrip('/')}/api/exchange/nodes/rotate",
                              json={"code": code}, timeout=10)  # fmt: skip
    except httpx.HTTPError as exc:
        console.print(f"[red]平台无法连接 / platform unreachable:[/red] {type(exc).__name__}")
        raise typer.Exit(1) from None
    if response.status_code != 200:
        console.print(f"[red]平台拒绝 / refused:[/red] {response.text[:500]}")
        raise typer.Exit(1)
    os.replace(settings.pending_key_file, settings.key_file)
    console.print(f"新密钥已生效 / new key active: {signing.key_id(pending.public_key())}")


@node_app.command("verify-log")
def verify_log(
    ctx: typer.Context, config: Annotated[Path | None, typer.Option("--config", "-c")] = None
) -> None:
    """Recompute the message log's hash chain / 校验前置机消息日志的哈希链。"""
    from zhuyun.exchange.node.message_log import MessageLog

    settings = _config(_path(ctx, config))
    message_log = MessageLog(settings.log_url, settings.timestamp_window_s)
    try:
        report = message_log.verify()
    finally:
        message_log.close()
    if report.ok:
        console.print(
            f"消息日志完好 / log intact: {report.checked} entries, head {report.head_hash}"
        )
        return
    console.print(f"[red]{report.problem_zh}[/red] / {report.problem_en}")
    raise typer.Exit(1)
