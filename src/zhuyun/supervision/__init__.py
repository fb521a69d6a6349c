"""数据铁笼 — supervision of administrative power: the power-operation log read from the
ledger (XES, OCEL 2.0), imported event logs of other systems, and process mining
(directly-follows graphs, variants, token-based replay conformance)."""
