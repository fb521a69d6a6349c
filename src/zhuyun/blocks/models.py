"""The blocks module's own tables (fusion jobs, runs, profiles)."""

from __future__ import annotations
