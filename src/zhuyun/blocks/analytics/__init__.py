"""Block analytics (块数据分析): indicators per grid and month — population structure, event
and service-demand rates — and a forecast of next month's work orders per grid with its error
on held-out months. `service.build` gathers them; `forecast` holds the methods."""
