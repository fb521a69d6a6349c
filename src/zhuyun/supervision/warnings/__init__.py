"""Warnings and their lifecycle (预警处置): raised once per rule, case and key; explained by
the officer, escalated while unexplained, verified, closed, or marked a false positive that
tunes its rule. Every change is a ledger entry."""

from zhuyun.supervision.warnings.service import (
    LEVELS,
    STATUSES,
    WarningFilter,
    escalate_due,
    explain,
    get_warning,
    list_warnings,
    mark_false_positive,
    raise_findings,
    verify,
)

__all__ = [
    "LEVELS",
    "STATUSES",
    "WarningFilter",
    "escalate_due",
    "explain",
    "get_warning",
    "list_warnings",
    "mark_false_positive",
    "raise_findings",
    "verify",
]
