"""What a briefing page tells the places it is shared to and embedded in.

- OpenGraph (``og:title``, ``og:description`` from the summary, ``og:image`` the poster, ``og:video``),
  the Twitter card (``player`` where there is a video to embed), the canonical URL;
- schema.org JSON-LD: a ``NewsArticle`` whose ``video`` is a ``VideoObject`` (``AudioObject`` for an
  audio-only briefing) with its ``transcript`` and the timed summary as ``Clip`` key moments;
- ``embed.html``: the player alone (captions on), for an ``<iframe>``; honours ``#t=START,END``;
- ``oembed.json``: the oEmbed (1.0) answer for the page, found through the page's discovery link.

Every URL comes from ``SiteOptions.base_url``. Without it, the tags that need an absolute URL (canonical,
``og:url``, ``og:image``, ``og:video``, the JSON-LD's URLs) are left out: a site without ``base_url``
cannot be previewed by anyone, which is why publishing to a target without it is refused by the caller.
"""

from __future__ import annotations

import html
import json
from typing import Any

from publish import i18n
from publish.types import SiteOptions

EMBED_NAME = "embed.html"
OEMBED_NAME = "oembed.json"
EMBED_WIDTH, EMBED_HEIGHT = 640, 360


def absolute(base_url: str, rel: str) -> str:
    return base_url.rstrip("/") + "/" + rel.lstrip("/")


def _iso_duration(seconds: float) -> str:
    s = int(round(float(seconds)))
    return f"PT{s // 3600}H{s % 3600 // 60}M{s % 60}S"


def description(meta: dict[str, Any], limit: int = 300) -> str:
    """One paragraph from the summary (the first sentences), for og:description and the feeds."""
    summary = meta.get("summary", {})
    if summary.get("no_speech"):
        return i18n.strings(meta.get("language", "en"))["no_speech"] + "."
    text = " ".join(" ".join(str(s.get("text", "")).split()) for s in summary.get("sentences", []))
    text = text or meta.get("headline", "") or meta.get("title", "")
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def page_url(options: SiteOptions, meta: dict[str, Any], rel: str = "") -> str:
    """The absolute URL of a file of the briefing (``rel`` relative to its directory); "" without base_url."""
    if not options.base_url:
        return ""
    return absolute(options.base_url, f"briefings/{meta['id']}/{rel}")


def site_name(options: SiteOptions) -> str:
    return i18n.site_title(options.title, options.language)


def page_metadata(
    meta: dict[str, Any], options: SiteOptions, *, transcript_text: str, archived: bool
) -> dict[str, Any]:
    """The sharing metadata of a briefing page: ``canonical``, ``og`` and ``twitter`` ((name, content)
    pairs), ``jsonld`` (the JSON text, safe inside a <script>) and ``oembed`` (the discovery link)."""
    files = meta.get("files", {})
    kind = meta.get("media_kind", "video")
    version_rel = f"v{meta.get('version', 1)}/" if archived else ""
    canonical = page_url(options, meta, version_rel)
    media = files.get(kind, {})
    media_url = page_url(options, meta, media.get("name", "")) if media else ""
    poster_url = page_url(options, meta, files["poster"]["name"]) if "poster" in files and kind == "video" else ""
    embed_url = page_url(options, meta, EMBED_NAME)
    desc = description(meta)
    title = meta.get("title", meta.get("id", ""))
    lang = meta.get("language", "en")
    locale = {"vi": "vi_VN", "en": "en_GB"}.get(lang.split("-")[0], lang)

    og: list[tuple[str, str]] = [
        ("og:type", "article"),
        ("og:title", title),
        ("og:description", desc),
        ("og:site_name", site_name(options)),
        ("og:locale", locale),
    ]
    if canonical:
        og.append(("og:url", canonical))
    if poster_url:
        og += [("og:image", poster_url), ("og:image:alt", f"{title}, {meta.get('date', '')}")]
    if media_url and kind == "video":
        og += [("og:video", media_url), ("og:video:type", "video/mp4")]
    elif media_url:
        og += [("og:audio", media_url), ("og:audio:type", "audio/mp4")]
    if meta.get("published_at"):
        og.append(("article:published_time", meta["published_at"]))
    if meta.get("updated_at"):
        og.append(("article:modified_time", meta["updated_at"]))

    twitter: list[tuple[str, str]] = [("twitter:title", title), ("twitter:description", desc)]
    if embed_url and kind == "video":
        twitter = [
            ("twitter:card", "player"),
            *twitter,
            ("twitter:player", embed_url),
            ("twitter:player:width", str(EMBED_WIDTH)),
            ("twitter:player:height", str(EMBED_HEIGHT)),
        ]
    else:
        twitter = [("twitter:card", "summary_large_image" if poster_url else "summary"), *twitter]
    if poster_url:
        twitter.append(("twitter:image", poster_url))

    return {
        "canonical": canonical,
        "og": og,
        "twitter": twitter,
        "jsonld": jsonld_text(json_ld(meta, options, transcript_text=transcript_text, archived=archived)),
        "oembed": page_url(options, meta, OEMBED_NAME),
    }


def json_ld(
    meta: dict[str, Any], options: SiteOptions, *, transcript_text: str, archived: bool = False
) -> dict[str, Any]:
    """schema.org NewsArticle with its VideoObject (or AudioObject), transcript and Clip key moments."""
    files = meta.get("files", {})
    kind = meta.get("media_kind", "video")
    canonical = page_url(options, meta, f"v{meta.get('version', 1)}/" if archived else "")
    title = meta.get("title", meta.get("id", ""))
    desc = description(meta)
    published = meta.get("published_at") or meta.get("date", "")
    obj: dict[str, Any] = {
        "@type": "VideoObject" if kind == "video" else "AudioObject",
        "name": title,
        "description": desc,
        "uploadDate": published,
        "duration": _iso_duration(meta.get("duration", 0)),
        "inLanguage": meta.get("language", "en"),
        "transcript": transcript_text,
    }
    media = files.get(kind)
    if media and options.base_url:
        obj["contentUrl"] = page_url(options, meta, media["name"])
        obj["encodingFormat"] = "video/mp4" if kind == "video" else "audio/mp4"
    if kind == "video" and options.base_url:
        obj["embedUrl"] = page_url(options, meta, EMBED_NAME)
        if "poster" in files:
            obj["thumbnailUrl"] = [page_url(options, meta, files["poster"]["name"])]
    clips = []
    sentences = (meta.get("summary") or {}).get("sentences", [])
    for s in sentences:
        start, end = float(s.get("start", 0)), float(s.get("end", s.get("start", 0)))
        clip: dict[str, Any] = {
            "@type": "Clip",
            "name": " ".join(str(s.get("text", "")).split()),
            "startOffset": int(start),
            "endOffset": max(int(start) + 1, int(round(end))),
        }
        if canonical:
            clip["url"] = f"{canonical}#t={int(start)}"
        clips.append(clip)
    if clips:
        obj["hasPart"] = clips
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title if len(title) <= 110 else title[:109] + "…",
        "description": desc,
        "datePublished": published,
        "dateModified": meta.get("updated_at") or published,
        "inLanguage": meta.get("language", "en"),
        "publisher": {"@type": "Organization", "name": site_name(options)},
        "author": [{"@type": "Person", "name": s} for s in meta.get("speakers", [])]
        or [{"@type": "Organization", "name": site_name(options)}],
        "video" if kind == "video" else "audio": obj,
    }
    if canonical:
        doc["url"] = canonical
        doc["mainEntityOfPage"] = canonical
    if "poster" in files and options.base_url and kind == "video":
        doc["image"] = [page_url(options, meta, files["poster"]["name"])]
    return doc


def jsonld_text(doc: dict[str, Any]) -> str:
    """JSON for a <script type="application/ld+json">: no "</script>" can end it early."""
    return (
        json.dumps(doc, ensure_ascii=False, indent=1)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def oembed(meta: dict[str, Any], options: SiteOptions) -> dict[str, Any]:
    """The oEmbed 1.0 answer (type video, or rich for audio) for the briefing's page."""
    kind = meta.get("media_kind", "video")
    src = page_url(options, meta, EMBED_NAME) or EMBED_NAME
    height = EMBED_HEIGHT if kind == "video" else 120
    title = meta.get("title", meta.get("id", ""))
    iframe = (
        f'<iframe src="{html.escape(src)}" width="{EMBED_WIDTH}" height="{height}" '
        f'title="{html.escape(title)}" allow="fullscreen" loading="lazy"></iframe>'
    )
    out: dict[str, Any] = {
        "version": "1.0",
        "type": "video" if kind == "video" else "rich",
        "title": title,
        "provider_name": site_name(options),
        "html": iframe,
        "width": EMBED_WIDTH,
        "height": height,
    }
    if options.base_url:
        out["provider_url"] = options.base_url
    files = meta.get("files", {})
    if "poster" in files and options.base_url and kind == "video":
        out.update(
            thumbnail_url=page_url(options, meta, files["poster"]["name"]),
            thumbnail_width=EMBED_WIDTH,
            thumbnail_height=EMBED_HEIGHT,
        )
    return out
