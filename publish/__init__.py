"""A Release in: pages, feeds, uploads, notifications, archive packages out. Knows nothing of the store."""

from publish.types import Correction, Release, SiteOptions

__all__ = ["Correction", "Release", "SiteOptions"]
