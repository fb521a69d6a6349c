"""Department nodes as real processes on loopback ports, for the node tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ZHUYUN = str(Path(sys.executable).parent / "zhuyun")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class NodeProcess:
    name: str
    config: Path
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None
    log: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [ZHUYUN, "node", *args, "--config", str(self.config)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "NODE_PG_SECRET": "pg-secret-kept-on-the-node"},
        )
        assert done.returncode == 0, done.stderr + done.stdout
        return done.stdout

    def start(self) -> None:
        out = self.data_dir / f"node-{len(self.log)}.log"
        self.log.append(out)
        self.process = subprocess.Popen(
            [ZHUYUN, "node", "--config", str(self.config)],
            stdout=out.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "NODE_PG_SECRET": "pg-secret-kept-on-the-node"},
        )
        deadline = time.monotonic() + 120  # a loaded machine takes its time to import
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/", timeout=1)
                return
            except httpx.TransportError:
                assert self.process.poll() is None, out.read_text()
                time.sleep(0.1)
        raise RuntimeError(f"node {self.name} did not start: {out.read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def write_config(folder: Path, name: str, sources: dict[str, dict[str, str]]) -> NodeProcess:
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "[node]",
        f'name = "{name}"',
        'unit = "test unit"',
        f'listen = "127.0.0.1:{port}"',
        'data_dir = "data"',
        "",
    ]
    for source, entries in sources.items():
        lines.append(f"[sources.{source}]")
        lines.extend(f'{key} = "{value}"' for key, value in entries.items())
        lines.append("")
    config = folder / "node.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    return NodeProcess(name, config, port, folder / "data")
