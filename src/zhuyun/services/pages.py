"""一网通办 pages: the citizen and enterprise portal, the staff workbench, the dashboard."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
