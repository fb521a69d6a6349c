"""块数据 pages: profiles (person, enterprise, grid) and block analytics."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
