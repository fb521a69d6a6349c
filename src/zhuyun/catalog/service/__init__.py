"""The catalog's operations: the only part of the catalog other modules call.

Writers take an `Actor` and ledger their change in the caller's transaction; scope checks
(a data admin manages only their unit's resources) are `ensure_may_manage`, which routes
call before writing. Readers: `published_view` for the gateway, `search` for browsing.
"""

from zhuyun.catalog.models import InfoItem, Resource, ResourceVersion
from zhuyun.catalog.schemas import ItemDraft, ResourceDraft, ResourceUpdate
from zhuyun.catalog.search import Facets, SearchHit, SearchResult, search
from zhuyun.catalog.service.common import (
    ensure_may_manage,
    get_resource,
    home_unit,
    may_manage,
)
from zhuyun.catalog.service.drafts import create_draft, draft_from_columns, update_draft
from zhuyun.catalog.service.lifecycle import (
    clear_stale,
    get_version,
    latest_version,
    list_versions,
    mark_stale,
    publish,
    retire,
)
from zhuyun.catalog.service.views import (
    ItemView,
    PublishedResource,
    count_by_status,
    current_versions,
    ensure_visible,
    first_published,
    list_resources,
    published_view,
    resource_public,
    summary_of_hit,
    summary_of_resource,
)

__all__ = [
    "Facets",
    "InfoItem",
    "ItemDraft",
    "ItemView",
    "PublishedResource",
    "Resource",
    "ResourceDraft",
    "ResourceUpdate",
    "ResourceVersion",
    "SearchHit",
    "SearchResult",
    "clear_stale",
    "count_by_status",
    "create_draft",
    "current_versions",
    "draft_from_columns",
    "ensure_may_manage",
    "ensure_visible",
    "first_published",
    "get_resource",
    "get_version",
    "home_unit",
    "latest_version",
    "list_resources",
    "list_versions",
    "mark_stale",
    "may_manage",
    "publish",
    "published_view",
    "resource_public",
    "retire",
    "search",
    "summary_of_hit",
    "summary_of_resource",
    "update_draft",
]
