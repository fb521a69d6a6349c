"""The governance module's operations: the only part of governance other modules call.

Grids (this part of 社会和云): `grid_of(session, lng, lat)`, `grid_of_address(session, text)`,
`grids_of(session, division_code)`, `grids_of_worker`, `workers_of(session, grid)`,
`import_features` and `export_chunks` (GeoJSON), `grid_index` (the STRtree, per process).
"""

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
    "count_grids",
    "current_revision",
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
    "level_of",
    "list_grids",
    "parse_address",
    "workers_by_grid",
    "workers_of",
]
