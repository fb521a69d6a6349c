"""权力清单: the power list of each unit, its spreadsheet, and how ledger entries find their
power (directly by `power_code`, or through a linked service item or work-order category)."""

from zhuyun.supervision.powers.service import (
    PowerFilter,
    draft_of,
    export_workbook,
    get_power,
    import_workbook,
    list_powers,
    power_codes_for_links,
    save_powers,
)
from zhuyun.supervision.powers.spec import (
    POWER_TYPES,
    RISK_KINDS,
    Benchmark,
    Issue,
    PowerDraft,
    RiskPoint,
    Step,
)

__all__ = [
    "POWER_TYPES",
    "RISK_KINDS",
    "Benchmark",
    "Issue",
    "PowerDraft",
    "PowerFilter",
    "RiskPoint",
    "Step",
    "draft_of",
    "export_workbook",
    "get_power",
    "import_workbook",
    "list_powers",
    "power_codes_for_links",
    "save_powers",
]
