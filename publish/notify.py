"""Press channels through apprise URLs (Telegram, Slack, Mattermost, Matrix, Mastodon, Discord, webhooks ...).

:func:`press_post` writes the short post (title, a 2-3 line summary, the key figures, the link) from a
published release's metadata (its ``release.json``); :func:`send` posts it to one apprise URL and raises
:class:`NotifyError` with apprise's own reason when the service refused it. Retrying is the caller's
business (the application retries with backoff and records the outcome).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from publish.errors import PublishError


class NotifyError(PublishError):
    hint = "check the channel's URL and token; `briefing status ID` lists the failed channels"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


@dataclass(frozen=True)
class Post:
    title: str
    body: str
    link: str


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def summary_lines(meta: dict[str, Any], *, lines: int = 3, width: int = 200) -> list[str]:
    summary = meta.get("summary", {}) or {}
    if summary.get("no_speech"):
        return ["No speech was detected in this recording."]
    return [_short(s.get("text", ""), width) for s in summary.get("sentences", [])[:lines] if s.get("text")]


def figure_lines(meta: dict[str, Any], *, limit: int = 5) -> list[str]:
    out = []
    for k in (meta.get("key_figures") or [])[:limit]:
        label = k.get("label", "")
        out.append(f"{k.get('said', '')} — {label}" if label else str(k.get("said", "")))
    return out


def press_post(meta: dict[str, Any], link: str, *, correction: dict[str, Any] | None = None) -> Post:
    """The post for a release: title, 2-3 summary lines, key figures, link (and the note of a correction)."""
    title = meta.get("title") or meta.get("id", "")
    date = meta.get("date", "")
    head = f"{title} ({date})" if date and date not in title else title
    parts: list[str] = []
    if correction:
        parts.append(f"Corrected (version {correction.get('version')}): {correction.get('note', '')}")
        parts.append("")
    parts += summary_lines(meta)
    figures = figure_lines(meta)
    if figures:
        parts += ["", "Key figures:"] + [f"• {f}" for f in figures]
    parts += ["", link]
    return Post(title=("Correction: " if correction else "") + head, body="\n".join(parts).strip(), link=link)


def mask_url(url: str) -> str:
    """A channel URL safe to show and store: scheme and host only."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}/…" if parts.scheme else "<bad URL>"


def send(url: str, post: Post, *, timeout: float = 30.0) -> None:
    """Post to one apprise URL; raise NotifyError if the URL is unusable or the service refused it."""
    import apprise

    ap = apprise.Apprise()
    asset_ok = ap.add(url)
    if not asset_ok:
        raise NotifyError(
            f"{mask_url(url)} is not a URL apprise understands",
            hint="see https://github.com/caronc/apprise/wiki for the URL of each service",
        )
    for server in ap:
        for attr in ("socket_read_timeout", "socket_connect_timeout"):
            if hasattr(server, attr):
                setattr(server, attr, timeout)
    with apprise.LogCapture(level=apprise.logging.WARNING) as log:  # type: ignore[no-untyped-call]
        ok = ap.notify(body=post.body, title=post.title)
        reason = " ".join(line.strip() for line in log.getvalue().splitlines() if line.strip())[-300:]
    if not ok:
        raise NotifyError(f"{mask_url(url)} refused the post" + (f": {reason}" if reason else ""))
