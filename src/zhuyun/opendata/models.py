"""The open-data portal's own tables: developer keys, usage counts, quality reports."""

from __future__ import annotations
