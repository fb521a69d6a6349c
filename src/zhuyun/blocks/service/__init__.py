"""块数据's operations: the only part of the blocks module other modules and its routes call."""

from zhuyun.blocks.service.jobs import (
    create_job,
    definition_of,
    ensure_owner,
    get_job,
    list_jobs,
    resource_names,
)
from zhuyun.blocks.service.profiles import Profile, SourceFacts, read_profile
from zhuyun.blocks.service.runs import (
    ENGINES,
    MODES,
    current_tables,
    execute_run,
    fraction_done,
    get_run,
    list_runs,
    resume_run,
    start_run,
)

__all__ = [
    "ENGINES",
    "MODES",
    "Profile",
    "SourceFacts",
    "create_job",
    "current_tables",
    "definition_of",
    "ensure_owner",
    "execute_run",
    "fraction_done",
    "get_job",
    "get_run",
    "list_jobs",
    "list_runs",
    "read_profile",
    "resource_names",
    "resume_run",
    "start_run",
]
