"""社会和云: grid-based social governance — grids, and (later) work orders, patrol, Open311."""
