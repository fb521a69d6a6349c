"""The 块数据 JSON API. Thin: parse → call the service → render."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/blocks", tags=["blocks 块数据"])
