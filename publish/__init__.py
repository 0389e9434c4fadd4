"""A Release in: pages, feeds, uploads, notifications, archive packages out. Knows nothing of the store."""

from typing import Any

from publish.types import Correction, Release, SiteOptions

__all__ = ["Correction", "PublishedRelease", "Release", "SiteOptions", "publish_release", "rebuild_indexes"]


def __getattr__(name: str) -> Any:
    # The site builder imports jinja2/feedgen; load it only when asked for, so `briefing --help` stays instant.
    if name in ("publish_release", "rebuild_indexes", "PublishedRelease", "PublishedFile", "SiteError"):
        from publish import site

        return getattr(site, name)
    raise AttributeError(f"module 'publish' has no attribute {name!r}")
