"""The tailer: reads ledger entries past a persisted watermark, evaluates them in order and
raises warnings, in the same transaction that moves the watermark — an entry is evaluated
once even across restarts. It runs in-process (a daemon thread the app starts when
`ZHUYUN_SUPERVISION_WATCH_INTERVAL` is above 0) and as `zhuyun supervision watch`."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.db import Database, utcnow
from zhuyun.core.ledger import SYSTEM, LedgerEntry
from zhuyun.supervision.models import Watermark
from zhuyun.supervision.rules.engine import Evaluator, RuleBook
from zhuyun.supervision.rules.service import ensure_default_rules
from zhuyun.supervision.warnings.service import escalate_due, raise_findings

log = logging.getLogger("zhuyun.supervision.watch")
ONLINE = "online"
BATCH_ENTRIES = 500


@dataclass
class Pass:
    entries: int = 0
    warnings: int = 0
    escalated: int = 0
    watermark: int = 0


def _watermark(session: Session) -> Watermark:
    mark = session.get(Watermark, ONLINE, with_for_update=True)
    if mark is None:
        mark = Watermark(name=ONLINE, seq=0, updated_at=utcnow())
        session.add(mark)
        session.flush()
    return mark


def run_once(session: Session, now: datetime | None = None, limit: int = BATCH_ENTRIES) -> Pass:
    """Evaluate the next entries past the watermark, then the clock (time limits,
    escalation); the caller commits."""
    ensure_default_rules(session, SYSTEM)
    mark = _watermark(session)
    entries = session.scalars(
        select(LedgerEntry).where(LedgerEntry.seq > mark.seq).order_by(LedgerEntry.seq).limit(limit)
    ).all()
    evaluator = Evaluator(session, RuleBook(session))
    findings = []
    for entry in entries:
        findings += evaluator.evaluate(entry)
    findings += evaluator.sweep(now or utcnow())
    done = Pass(entries=len(entries))
    done.warnings = len(raise_findings(session, findings))
    done.escalated = len(escalate_due(session, now))
    if entries:
        mark.seq = entries[-1].seq
        mark.updated_at = utcnow()
    done.watermark = mark.seq
    return done


def catch_up(database: Database, now: datetime | None = None) -> Pass:
    """Passes until the watermark reaches the ledger's head."""
    total = Pass()
    while True:
        with database.session() as session:
            done = run_once(session, now)
        total.entries += done.entries
        total.warnings += done.warnings
        total.escalated += done.escalated
        total.watermark = done.watermark
        if done.entries < BATCH_ENTRIES:
            return total


def watch(database: Database, stop: threading.Event, interval: float = 0.2) -> None:
    """Poll the ledger until `stop` is set; an idle pass costs one indexed query."""
    while not stop.is_set():
        try:
            with database.session() as session:
                done = run_once(session)
        except Exception:  # a bad pass must not end the watcher; the next one retries
            log.exception("supervision watcher pass failed")
            done = Pass()
        if done.entries < BATCH_ENTRIES:
            stop.wait(interval)


def start_in_process(database: Database, interval: float) -> threading.Event | None:
    """Start the watcher as a daemon thread polling every `interval` seconds (0: none); set
    the returned event to stop it."""
    if interval <= 0:
        return None
    stop = threading.Event()
    threading.Thread(
        target=watch, args=(database, stop, interval), daemon=True, name="zhuyun-supervision-watch"
    ).start()
    return stop


def wait_for(database: Database, seq: int, timeout: float = 10.0) -> bool:
    """Until the watermark has passed `seq` (used by tests and the benchmark)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.session() as session:
            mark = session.get(Watermark, ONLINE)
            if mark is not None and mark.seq >= seq:
                return True
        time.sleep(0.02)
    return False
