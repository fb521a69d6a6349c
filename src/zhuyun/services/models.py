"""The services module's own tables (service items, workflows, cases, ratings)."""

from __future__ import annotations
