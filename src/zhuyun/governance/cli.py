"""`zhuyun governance …`: escalate overdue work orders, report the classifier's accuracy."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console

from zhuyun.core.db import Database, utcnow
from zhuyun.core.settings import get_settings
from zhuyun.governance.service import classify, sla

governance_app = typer.Typer(help="社会和云: work orders / 工单。", no_args_is_help=True)
console = Console()


@governance_app.command("escalate")
def escalate(
    now: Annotated[
        datetime | None, typer.Option(help="The clock to escalate at (default: now, UTC)")
    ] = None,
) -> None:
    """Escalate overdue work orders: to the unit's leaders, then the city command centre."""
    database = Database(get_settings().database_url)
    try:
        with database.session() as session:
            clock = now or utcnow()
            if clock.tzinfo is None:
                clock = clock.replace(tzinfo=utcnow().tzinfo)
            run = sla.run_escalations(session, clock)
    finally:
        database.dispose()
    console.print(
        f"checked {run.checked} overdue orders: {run.level_one} to unit leaders, "
        f"{run.level_two} to the command centre"
    )


@governance_app.command("classifier")
def classifier_accuracy() -> None:
    """Train on the demo corpus and print the accuracy on its held-out part."""
    result = classify.evaluate()
    console.print(
        f"trained on {result.train_size}, tested on {result.test_size} held out: "
        f"category {result.category_accuracy:.1%}, urgency {result.urgency_accuracy:.1%}"
    )
