"""块数据: fusing many departments' data into profiles of people, enterprises and grids, on
DuckDB on one machine and Apache Spark beyond it."""
