"""Documentation keeps up with the code: every setting, command and API route is written down."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from fastapi import FastAPI

from zhuyun.cli import app as cli_app
from zhuyun.core.settings import Settings
from zhuyun.identity.deps import route_guards

ROOT = Path(__file__).resolve().parents[1]


def _docs() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(page.read_text("utf-8") for page in pages)


def test_every_setting_is_documented() -> None:
    docs = _docs()
    missing = [
        f"ZHUYUN_{name.upper()}"
        for name in Settings.model_fields
        if f"ZHUYUN_{name.upper()}" not in docs
    ]
    assert missing == []


def _commands(app: typer.Typer, prefix: str = "zhuyun") -> list[str]:
    names = [
        f"{prefix} {c.name or c.callback.__name__}"
        for c in app.registered_commands
        if c.callback is not None
    ]
    for group in app.registered_groups:
        if group.typer_instance is not None:
            names.extend(_commands(group.typer_instance, f"{prefix} {group.name}"))
    return [name.replace("_", "-") for name in names]


def test_every_cli_command_is_documented() -> None:
    docs = _docs()
    missing = [cmd for cmd in _commands(cli_app) if cmd not in docs and cmd != "zhuyun version"]
    assert missing == []


def test_every_api_route_is_documented(app: FastAPI) -> None:
    docs = _docs()
    missing = []
    for route in route_guards(app):
        method, path = route.split(" ", 1)
        if path.startswith("/api") and not re.search(rf"{method}[^\n|]*`?{re.escape(path)}", docs):
            missing.append(route)
    assert missing == []
