"""What the benchmarks share: free loopback ports, percentiles, a server run as a subprocess
until it answers, and calls spread over client threads."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import httpx

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@contextmanager
def serving(command: list[str], env: dict[str, str], health: str) -> Iterator[None]:
    """A server started as a subprocess, its access log dropped, until it answers."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(150):
            try:
                if httpx.get(health, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"{command[0]} did not start")
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def concurrently(clients: int, work: Callable[[int], list[T]]) -> tuple[float, list[T]]:
    """`work(client)` in `clients` threads at once; each returns its measurements (one per
    call it made). Answers the calls per second of the whole run and all measurements."""
    found: list[T] = []
    lock = threading.Lock()

    def run(client: int) -> None:
        mine = work(client)
        with lock:
            found.extend(mine)

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(found) / (time.perf_counter() - start), found


def zhuyun_server(database_url: str, data_dir: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The command and environment that serve zhuyun on `port` with one uvicorn worker and
    no open-data rate limit (a benchmark's clients all come from one address)."""
    env = {
        **os.environ,
        "ZHUYUN_ENV": "test",
        "ZHUYUN_DATA_DIR": data_dir,
        "ZHUYUN_DATABASE_URL": database_url,
        "ZHUYUN_OPENDATA_ANONYMOUS_RATE": "0",
    }
    command = [
        sys.executable, "-m", "uvicorn", "zhuyun.app:create_app", "--factory",
        "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return command, env
