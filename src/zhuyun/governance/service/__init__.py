"""The governance module's operations: the only part of governance other modules call.

Grids (this part of 社会和云): `grid_of(session, lng, lat)`, `grid_of_address(session, text)`,
`grids_of(session, division_code)`, `grids_of_worker`, `workers_of(session, grid)`,
`import_features` and `export_chunks` (GeoJSON), `grid_index` (the STRtree, per process).

Work orders: `intake.submit` / `submit_many` (every channel), `classify.classifier`,
`dispatch` (the duty matrix), `workflow` (the GB/T 30428 steps and who may take them),
`sla.run_escalations`, `queries` (lists, inbox, indicators), `open311` (keys and shapes),
`photos` (checked, EXIF-free photos of orders).

The supply-demand board (社群通): `board` (needs and offers, candidates by category and
distance, matches confirmed by both sides).
"""

# Work orders (工单): intake, classification, dispatch, the GB/T 30428 workflow, SLA, Open311.
from zhuyun.governance.service import (
    board,
    categories,
    classify,
    dispatch,
    intake,
    open311,
    queries,
    sla,
    workflow,
)
from zhuyun.governance.service.addresses import AddressProblem, ParsedAddress, parse_address
from zhuyun.governance.service.grids import (
    GRID,
    ImportReport,
    WorkerRef,
    count_grids,
    division_name,
    export_chunks,
    find_grid,
    get_grid,
    get_region,
    grid_feature,
    grids_of,
    grids_of_worker,
    import_features,
    level_of,
    list_grids,
    workers_by_grid,
    workers_of,
)
from zhuyun.governance.service.index import GridIndex, current_revision, grid_index
from zhuyun.governance.service.locate import AddressGrid, OutsideCity, grid_of, grid_of_address

__all__ = [
    "GRID",
    "AddressGrid",
    "AddressProblem",
    "GridIndex",
    "ImportReport",
    "OutsideCity",
    "ParsedAddress",
    "WorkerRef",
    "board",
    "categories",
    "classify",
    "count_grids",
    "current_revision",
    "dispatch",
    "division_name",
    "export_chunks",
    "find_grid",
    "get_grid",
    "get_region",
    "grid_feature",
    "grid_index",
    "grid_of",
    "grid_of_address",
    "grids_of",
    "grids_of_worker",
    "import_features",
    "intake",
    "level_of",
    "list_grids",
    "open311",
    "parse_address",
    "queries",
    "sla",
    "workers_by_grid",
    "workers_of",
    "workflow",
]
