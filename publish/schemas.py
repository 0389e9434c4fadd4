"""The JSON Schemas of what the site publishes as data, published on the site under ``schemas/``.

``transcript.schema.json`` (each briefing's transcript.json), ``briefings.schema.json`` (briefings.json),
``figures.schema.json`` (figures/figures.json) and ``jsonfeed-1.1.schema.json`` (feed.json, JSON Feed 1.1).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SCHEMA_DIR = "schemas"
NAMES = ("transcript.schema.json", "briefings.schema.json", "figures.schema.json", "jsonfeed-1.1.schema.json")
_TITLES = {
    "transcript.schema.json": "transcript.json",
    "briefings.schema.json": "briefings.json",
    "figures.schema.json": "figures/figures.json",
    "jsonfeed-1.1.schema.json": "feed.json (JSON Feed 1.1)",
}


def load(name: str) -> dict[str, Any]:
    """One of the schemas, parsed."""
    data: dict[str, Any] = json.loads((resources.files("publish") / SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return data


def files() -> list[tuple[str, bytes]]:
    """(path on the site, bytes) of every schema."""
    return [(f"{SCHEMA_DIR}/{n}", (resources.files("publish") / SCHEMA_DIR / n).read_bytes()) for n in NAMES]


def listing() -> list[dict[str, str]]:
    """What the site's schemas/index.html lists: each schema's file name and what it describes."""
    return [{"name": n, "describes": _TITLES[n]} for n in NAMES]
