"""Online supervision latency: from a ledger append (its commit) to the warning it causes,
at a steady 500 events per second, with the rule watcher running as its own process
(`zhuyun supervision watch`) on a SQLite platform database. Some cases skip a
mandatory step (one case in ten skips its review), and the latency is measured on the
warnings those cases raise.

The peer, in the same run and on the same stream: a bare tailer that only reads entries past
its last-seen sequence number (no rules, no writes) — the floor any tailing design pays.
Latency of the
peer is from commit to the tailer seeing the entry; of the watcher from commit to the
warning's evaluation time (`raised_at`, committed in the same pass).

    .venv/bin/python benchmarks/supervision_rules_online.py [--rate 500] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))

from harness import percentile  # noqa: E402
from zhuyun.core.db import Database  # noqa: E402
from zhuyun.core.ledger import SYSTEM, Actor, LedgerEntry, Subject, record  # noqa: E402
from zhuyun.identity import service as identity  # noqa: E402
from zhuyun.identity.service import UnitDraft, UnitKind  # noqa: E402
from zhuyun.migrations import upgrade  # noqa: E402
from zhuyun.supervision.models import Rule, RuleWarning, Watermark  # noqa: E402
from zhuyun.supervision.powers import PowerDraft, Step, save_powers  # noqa: E402
from zhuyun.supervision.remit import ALL_UNITS  # noqa: E402
from zhuyun.supervision.rules.service import ensure_default_rules  # noqa: E402


def prepare(database: Database) -> int:
    upgrade(database)
    with database.session() as session:
        city = identity.create_unit(
            session,
            SYSTEM,
            UnitDraft(
                code="520100",
                name="贵阳市",
                kind=UnitKind.CITY,
                parent_id=None,
                division_code="520100",
            ),
        )
        unit = identity.create_unit(
            session,
            SYSTEM,
            UnitDraft(
                code="scjg",
                name="市场监管局",
                kind=UnitKind.DEPARTMENT,
                parent_id=city.id,
                category="市场监管",
            ),
        )
        steps = [
            Step("a", "受理", "power.a", "窗口", 5),
            Step("b", "审查", "power.b", "审查", 5),
            Step("c", "决定", "power.c", "负责人", 5),
        ]
        save_powers(
            session,
            SYSTEM,
            [PowerDraft("P1", "scjg", "测试许可", "许可", "依据", "某", 10, steps)],
            ALL_UNITS,
        )
        ensure_default_rules(session, SYSTEM)
        for rule in session.scalars(select(Rule).where(Rule.template == "out_of_hours")):
            rule.enabled = False  # the run's wall clock must not decide what warns
        return unit.id


def produce(database: Database, unit_id: int, rate: int, seconds: float) -> dict[int, float]:
    """Append at `rate` per second; remember each entry's commit time by sequence number."""
    committed: dict[int, float] = {}
    actor = Actor(id=7, name="officer", unit_id=unit_id)
    total = int(rate * seconds)
    start = time.perf_counter()
    for n in range(total):
        due = start + n / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        # cases a → b → c; one case in ten skips b, which warns on its "c"
        case, position = divmod(n, 3)
        step = ("a", "c", "c")[position] if case % 10 == 0 else ("a", "b", "c")[position]
        with database.session() as session:
            entry = record(
                session,
                actor,
                f"power.{step}",
                Subject("power_case", case),
                {"power_code": "P1", "unit_id": unit_id},
                case_id=f"bench:{case}",
            )
            seq = entry.seq
        committed[seq] = time.time()
    return committed


def bare_tailer(url: str, stop: threading.Event, seen: dict[int, float]) -> None:
    """The peer: poll for entries past the last one seen, on a read-only connection of its
    own (it evaluates nothing and writes nothing)."""
    engine = create_engine(url, connect_args={"timeout": 30})
    mark = 0
    with engine.connect() as connection:
        while not stop.is_set():
            rows = (
                connection.execute(
                    select(LedgerEntry.seq)
                    .where(LedgerEntry.seq > mark)
                    .order_by(LedgerEntry.seq)
                    .limit(500)
                )
                .scalars()
                .all()
            )
            connection.rollback()  # end the read transaction: the next poll sees new commits
            now = time.time()
            for seq in rows:
                seen[seq] = now
            if rows:
                mark = rows[-1]
            if len(rows) < 500:
                stop.wait(0.02)
    engine.dispose()


def report(label: str, latencies: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    print(
        f"{label}: {len(latencies):,} measured, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms"
    )
    return p50, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zhuyun-online-") as folder:
        url = f"sqlite:///{folder}/platform.sqlite"
        database = Database(url)
        unit_id = prepare(database)
        env = {**os.environ, "ZHUYUN_DATABASE_URL": url, "ZHUYUN_DATA_DIR": folder}
        watcher = subprocess.Popen(
            [str(ROOT / ".venv/bin/zhuyun"), "supervision", "watch", "--interval", "0.02"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stop, seen = threading.Event(), {}
        peer = threading.Thread(target=bare_tailer, args=(url, stop, seen), daemon=True)
        peer.start()
        try:
            time.sleep(2)  # the watcher's first pass (default rules) is behind us
            began = time.perf_counter()
            committed = produce(database, unit_id, args.rate, args.seconds)
            achieved = len(committed) / (time.perf_counter() - began)
            head = max(committed)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with database.session() as session:
                    mark = session.get(Watermark, "online")
                    if mark is not None and mark.seq >= head and seen.get(head):
                        break
                time.sleep(0.1)
        finally:
            stop.set()
            watcher.terminate()
            watcher.wait(timeout=30)
        with database.session() as session:
            raised = session.execute(
                select(RuleWarning.ledger_seq, RuleWarning.raised_at).where(
                    RuleWarning.template == "step_order"
                )
            ).all()
        database.dispose()
    print(
        f"appended {len(committed):,} entries at {achieved:,.0f}/s "
        f"(asked {args.rate}/s); {len(raised):,} warnings"
    )
    rules = [at.timestamp() - committed[seq] for seq, at in raised if seq in committed]
    bare = [seen[seq] - t for seq, t in committed.items() if seq in seen]
    r50, r99 = report("rule watcher (append → warning)", rules)
    b50, b99 = report("bare tailer peer (append → seen)", bare)
    print(f"ratio to the bare tailer: p50 {r50 / b50:.2f}×, p99 {r99 / b99:.2f}×")


if __name__ == "__main__":
    main()
