"""JSON API of the catalog: thin routes that parse, call the service and render."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/catalog", tags=["catalog"])
