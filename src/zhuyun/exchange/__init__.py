"""The sharing exchange: sources, connectors, the governed query gateway, applications, grants."""
