"""Full-text search over every transcript (SQLite FTS5), and the client-side search page of the site.

Each transcript segment is one searchable passage. ``search_segments`` holds the passage (original text,
time, speaker, briefing) and ``search_fts`` (FTS5, rowid = passage id) indexes a *folded* copy of its text:
Unicode NFD, combining marks stripped, đ → d, lower case. A query is folded the same way before it is
matched, so "tiêm chủng", "tiem chung" and "TIÊM CHỦNG" find the same passages. Results are ranked with
bm25; the snippet is made from the original text, with the matched words marked ``[like this]``.

Indexing is idempotent: :func:`index_briefing` replaces what was indexed for a briefing. ``search_index``
remembers which transcript (by SHA-256) and which version of the briefing's metadata was indexed, so
:func:`ensure_indexed` (run by ``briefing search``) indexes exactly the briefings that are new or changed.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date as date_cls
from pathlib import Path
from typing import Any

from briefing.core import config
from briefing.core.config import SiteSettings
from briefing.core.errors import ConfigError, InputError
from briefing.core.store import Store, now_iso
from briefing.core.text import fold, js_mark_class

_WORD = re.compile(r"[^\W_]+")
_SNIPPET_WORDS = 40


# -- the query language ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # folded; more than one = a phrase
    prefix: bool = False


def parse_query(query: str) -> list[Term]:
    """Words (all must match), "quoted phrases", and word* prefixes. Everything else is ignored."""
    terms: list[Term] = []
    for m in re.finditer(r'"([^"]*)"|(\S+)', query):
        if m.group(1) is not None:
            words = tuple(_WORD.findall(fold(m.group(1))))
            if words:
                terms.append(Term(words))
            continue
        raw = m.group(2)
        prefix = raw.endswith("*")
        words = tuple(_WORD.findall(fold(raw)))
        if not words:
            continue
        terms.append(Term(words, prefix))  # "covid-19" is the phrase covid 19
    return terms


def fts_expression(terms: list[Term]) -> str:
    parts = []
    for t in terms:
        phrase = '"' + " ".join(t.words) + '"'
        parts.append(phrase + ("*" if t.prefix else ""))
    return " AND ".join(parts)


# -- indexing ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndexResult:
    briefing_id: str
    segments: int
    skipped: bool = False


def _transcript_artifact(store: Store, briefing_id: str) -> Any:
    return store.artifacts(briefing_id).get("json")


def index_briefing(store: Store, briefing_id: str, *, force: bool = False) -> IndexResult:
    """Index (or re-index) one briefing's transcript. Does nothing if the same transcript is indexed."""
    b = store.briefing(briefing_id)
    art = _transcript_artifact(store, briefing_id)
    if art is None:
        raise InputError(
            f"briefing {briefing_id} has no transcript yet",
            hint=f"run `briefing process` or `briefing transcribe {briefing_id}` first",
        )
    rows = store.query(
        "SELECT transcript_sha256, briefing_updated_at, segments FROM search_index WHERE briefing_id = ?",
        (briefing_id,),
    )
    if (
        not force
        and rows
        and rows[0]["transcript_sha256"] == art.sha256
        and rows[0]["briefing_updated_at"] == b.updated_at
    ):
        return IndexResult(briefing_id, rows[0]["segments"], skipped=True)
    path = Path(art.path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"the transcript of {briefing_id} is missing: {path}",
            hint=f"run `briefing transcribe {briefing_id} --force` to make it again",
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            f"the transcript of {briefing_id} is not valid JSON: {path} ({exc})",
            hint=f"run `briefing transcribe {briefing_id} --force`",
        ) from None
    return index_transcript(
        store,
        b.id,
        data,
        transcript_sha256=art.sha256,
        briefing_updated_at=b.updated_at,
        date=b.date,
        speakers=b.speakers,
    )


def index_transcript(
    store: Store,
    briefing_id: str,
    transcript: dict[str, Any],
    *,
    transcript_sha256: str,
    briefing_updated_at: str,
    date: str,
    speakers: tuple[str, ...] = (),
) -> IndexResult:
    """Replace the indexed passages of a briefing by the segments of ``transcript`` (Transcript.to_dict())."""
    default_speaker = ", ".join(speakers)
    default_folded = fold("\n".join(speakers))
    seg_rows: list[tuple[Any, ...]] = []
    for seg in transcript.get("segments", ()):
        text = str(seg.get("text", "")).strip()
        if not text:
            continue
        spk = seg.get("speaker") or None
        seg_rows.append(
            (
                briefing_id,
                int(seg.get("id", len(seg_rows))),
                float(seg.get("start", 0.0)),
                float(seg.get("end", 0.0)),
                spk or default_speaker or None,
                fold(spk) if spk else default_folded,
                date,
                text,
                fold(text),
            )
        )
    base = _day_base(date)
    with store.tx() as db:
        _delete(db, briefing_id)
        top = db.execute(
            "SELECT max(id) FROM search_segments WHERE id >= ? AND id < ?", (base, base + _PER_DAY)
        ).fetchone()[0]
        next_id = base if top is None else top + 1
        for r in seg_rows:
            db.execute(
                "INSERT INTO search_segments (id, briefing_id, seg, start, end, speaker, speaker_folded, date,"
                " text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (next_id, *r[:8]),
            )
            db.execute("INSERT INTO search_fts (rowid, folded) VALUES (?, ?)", (next_id, r[8]))
            next_id += 1
        db.execute(
            """INSERT INTO search_index (briefing_id, transcript_sha256, briefing_updated_at, segments, indexed_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(briefing_id) DO UPDATE SET transcript_sha256=excluded.transcript_sha256,
                 briefing_updated_at=excluded.briefing_updated_at, segments=excluded.segments,
                 indexed_at=excluded.indexed_at""",
            (briefing_id, transcript_sha256, briefing_updated_at, len(seg_rows), now_iso()),
        )
    return IndexResult(briefing_id, len(seg_rows))


def _delete(db: Any, briefing_id: str) -> None:
    db.execute(
        "DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_segments WHERE briefing_id = ?)", (briefing_id,)
    )
    db.execute("DELETE FROM search_segments WHERE briefing_id = ?", (briefing_id,))
    db.execute("DELETE FROM search_index WHERE briefing_id = ?", (briefing_id,))


def unindex_briefing(store: Store, briefing_id: str) -> None:
    with store.tx() as db:
        _delete(db, briefing_id)


def pending(store: Store) -> list[str]:
    """Briefings with a transcript that is not indexed, or indexed from an older transcript or metadata."""
    rows = store.query(
        """SELECT b.id FROM briefings b
           JOIN artifacts a ON a.briefing_id = b.id AND a.role = 'json'
           LEFT JOIN search_index i ON i.briefing_id = b.id
           WHERE i.briefing_id IS NULL OR i.transcript_sha256 != a.sha256
              OR i.briefing_updated_at != b.updated_at
           ORDER BY b.date"""
    )
    return [r["id"] for r in rows]


def ensure_indexed(store: Store) -> list[IndexResult]:
    """Index every processed briefing that is not (or no longer) indexed. Orphans are dropped."""
    out = []
    for bid in pending(store):
        try:
            out.append(index_briefing(store, bid))
        except InputError:
            continue  # a missing/unreadable transcript: `briefing status` shows it; search the others
    orphans = store.query(
        "SELECT briefing_id FROM search_index WHERE briefing_id NOT IN "
        "(SELECT briefing_id FROM artifacts WHERE role = 'json')"
    )
    for r in orphans:
        unindex_briefing(store, r["briefing_id"])
    return out


# -- searching ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    briefing_id: str
    title: str
    date: str
    start: float
    end: float
    speaker: str | None
    text: str
    snippet: str
    score: float
    url: str  # relative to the site root: briefings/<id>/#t=SECONDS
    link: str  # absolute (site.base_url) or the local page path, with #t=SECONDS

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["time"] = clock(self.start)
        d["seconds"] = int(self.start)
        return d


def clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def _check_date(value: str | None, name: str) -> str | None:
    return config.day(value, f"{name} date") if value else None


RANK_WINDOW = 2000  # bm25 ranks at most this many matching passages: the newest ones


def _day_base(day: str) -> int:
    """Passage ids are day-ordered: ordinal(date) * 1,000,000 + n, so newest = highest id."""
    try:
        return date_cls.fromisoformat(day[:10]).toordinal() * _PER_DAY
    except ValueError:
        return 0


_PER_DAY = 1_000_000


def search(
    store: Store,
    query: str,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    speaker: str | None = None,
    limit: int = 20,
    base_url: str = "",
    site_dir: Path | None = None,
    window: int = RANK_WINDOW,
) -> list[Hit]:
    """The best passages for ``query``, best first (bm25), optionally within dates and for one speaker.

    Every match is ranked when a query matches at most ``window`` passages (after the filters). A broader
    query (a word said in every briefing) ranks the ``window`` newest matching passages, so that a
    search stays fast however many years the archive holds; add words or dates to reach older ones.
    """
    terms = parse_query(query)
    if not terms:
        raise InputError(f"nothing to search for in {query!r}", hint="give one or more words, e.g. tiêm chủng")
    if limit < 1:
        raise ConfigError("the limit must be at least 1")
    d_from, d_to = _check_date(date_from, "--from"), _check_date(date_to, "--to")
    if d_from and d_to and d_from > d_to:
        raise ConfigError(f"--from {d_from} is after --to {d_to}", hint="swap the dates")
    where = ["search_fts MATCH ?"]
    params: list[str | int] = [fts_expression(terms)]
    if d_from:
        where.append("search_fts.rowid >= ?")
        params.append(_day_base(d_from))
    if d_to:
        where.append("search_fts.rowid < ?")
        params.append(_day_base(d_to) + _PER_DAY)
    join = ""
    if speaker:
        join = "JOIN search_segments s ON s.id = search_fts.rowid"
        where.append("instr(s.speaker_folded, ?) > 0")
        params.append(fold(speaker.strip()))
    cond = " AND ".join(where)
    edge = store.query(
        f"SELECT search_fts.rowid FROM search_fts {join} WHERE {cond} ORDER BY search_fts.rowid DESC LIMIT 1 OFFSET ?",
        (*params, max(window, 1) - 1),
    )
    if edge:
        cond += " AND search_fts.rowid >= ?"
        params.append(edge[0][0])
    if speaker:
        sql = (
            f"SELECT s.id, s.briefing_id, s.start, s.end, s.speaker, s.text, search_fts.rank AS score "
            f"FROM search_fts {join} WHERE {cond} ORDER BY search_fts.rank LIMIT ?"
        )
    else:
        sql = (
            f"SELECT s.id, s.briefing_id, s.start, s.end, s.speaker, s.text, f.score FROM "
            f"(SELECT search_fts.rowid AS rid, search_fts.rank AS score FROM search_fts WHERE {cond} "
            f"ORDER BY search_fts.rank LIMIT ?) f JOIN search_segments s ON s.id = f.rid ORDER BY f.score"
        )
    rows = store.query(sql, (*params, limit))
    titles: dict[str, tuple[str, str]] = {}
    hits = []
    for r in rows:
        bid = r["briefing_id"]
        if bid not in titles:
            b = store.find_briefing(bid)
            titles[bid] = (b.title, b.date) if b else (bid, "")
        title, day = titles[bid]
        secs = int(r["start"])
        url = f"briefings/{bid}/#t={secs}"
        if base_url:
            link = base_url.rstrip("/") + "/" + url
        elif site_dir is not None:
            link = f"{Path(site_dir) / 'briefings' / bid / 'index.html'}#t={secs}"
        else:
            link = url
        hits.append(
            Hit(
                bid,
                title,
                day,
                float(r["start"]),
                float(r["end"]),
                r["speaker"],
                r["text"],
                snippet(r["text"], terms),
                round(float(r["score"]), 4),
                url,
                link,
            )
        )
    return hits


def snippet(text: str, terms: list[Term], *, words: int = _SNIPPET_WORDS) -> str:
    """The original text with matched words in [brackets], cut to about ``words`` words around the first."""
    tokens = list(_WORD.finditer(text))
    folded = [fold(m.group(0)) for m in tokens]
    marked = [False] * len(tokens)
    for t in terms:
        n = len(t.words)
        for i in range(len(tokens) - n + 1):
            ok = all(folded[i + k] == t.words[k] for k in range(n - 1))
            last = folded[i + n - 1]
            ok = ok and (last.startswith(t.words[-1]) if t.prefix else last == t.words[-1])
            if ok:
                for k in range(n):
                    marked[i + k] = True
    first = next((i for i, m in enumerate(marked) if m), 0)
    lo = max(0, first - words // 3)
    hi = min(len(tokens), lo + words)
    if not tokens:
        return text
    out = []
    pos = tokens[lo].start() if lo > 0 else 0
    if lo > 0:
        out.append("… ")
    for i in range(lo, hi):
        m = tokens[i]
        out.append(text[pos : m.start()])
        out.append(f"[{m.group(0)}]" if marked[i] else m.group(0))
        pos = m.end()
    if hi < len(tokens):
        out.append(" …")
    else:
        out.append(text[pos:])
    return "".join(out).strip()


# -- the site's client-side search ---------------------------------------------------------------------
SEARCH_PAGE = "search.html"
SEARCH_INDEX_JSON = "search-index.json"
SEARCH_INDEX_JS = "search-index.js"


@dataclass(frozen=True)
class SiteSearch:
    page: Path
    index_json: Path
    index_js: Path
    briefings: int
    passages: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "page": str(self.page),
            "index_json": str(self.index_json),
            "index_js": str(self.index_js),
            "briefings": self.briefings,
            "passages": self.passages,
        }


def site_index(site_dir: Path) -> dict[str, Any]:
    """What is published (release.json + transcript.json of every briefing on the site), as a search index."""
    briefings: list[dict[str, Any]] = []
    passages: list[list[Any]] = []
    root = Path(site_dir) / "briefings"
    for rel in sorted(root.glob("*/release.json")) if root.is_dir() else []:
        try:
            meta = json.loads(rel.read_text(encoding="utf-8"))
            tj = json.loads((rel.parent / "transcript.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if meta.get("id") != rel.parent.name:
            continue
        n = len(briefings)
        briefings.append(
            {
                "id": meta["id"],
                "title": meta.get("title", meta["id"]),
                "date": meta.get("date", ""),
                "speakers": meta.get("speakers", []),
                "url": f"briefings/{meta['id']}/index.html",
            }
        )
        default = ", ".join(meta.get("speakers", []))
        for seg in tj.get("segments", ()):
            text = str(seg.get("text", "")).strip()
            if text:
                passages.append([n, round(float(seg.get("start", 0.0)), 2), text, seg.get("speaker") or default])
    briefings_order = sorted(range(len(briefings)), key=lambda i: briefings[i]["date"], reverse=True)
    rank = {old: new for new, old in enumerate(briefings_order)}
    return {
        "version": 1,
        "generated_at": now_iso(),
        "briefings": [briefings[i] for i in briefings_order],
        "passages": sorted(([rank[p[0]], *p[1:]] for p in passages), key=lambda p: (p[0], p[1])),
    }


def write_site_search(site_dir: Path, *, title: str = "Press briefings", language: str = "en") -> SiteSearch:
    """Write search.html, search-index.json and search-index.js into the site (atomically, each)."""
    site_dir = Path(site_dir)
    idx = site_index(site_dir)
    body = json.dumps(idx, ensure_ascii=False, separators=(",", ":"))
    from publish.files import make_dirs, write_atomic  # published: 0644, whatever the umask

    make_dirs(site_dir)
    pj, pjs, page = site_dir / SEARCH_INDEX_JSON, site_dir / SEARCH_INDEX_JS, site_dir / SEARCH_PAGE
    write_atomic(pj, (body + "\n").encode("utf-8"))
    # A <script> works from file:// where fetch() of a JSON file does not: the page reads this global.
    write_atomic(pjs, ("window.BRIEFING_SEARCH_INDEX = " + body.replace("</", "<\\/") + ";\n").encode("utf-8"))
    write_atomic(page, _page_html(title, language).encode("utf-8"))
    return SiteSearch(page, pj, pjs, len(idx["briefings"]), len(idx["passages"]))


_UI = {
    "en": {
        "search": "Search the briefings",
        "placeholder": "Words said, with or without accents",
        "button": "Search",
        "all": "All briefings",
        "from": "From",
        "to": "To",
        "speaker": "Speaker",
        "none": "Nothing found.",
        "results": "results",
        "loading": "The search index could not be loaded.",
    },
    "vi": {
        "search": "Tìm trong các buổi họp báo",
        "placeholder": "Từ ngữ đã nói, có dấu hoặc không dấu",
        "button": "Tìm",
        "all": "Tất cả các buổi họp báo",
        "from": "Từ ngày",
        "to": "Đến ngày",
        "speaker": "Người phát biểu",
        "none": "Không tìm thấy.",
        "results": "kết quả",
        "loading": "Không tải được chỉ mục tìm kiếm.",
    },
}


def _page_html(title: str, language: str) -> str:
    import html

    from publish import i18n

    ui = _UI.get(language, _UI["en"])
    lang = language if language in _UI else "en"
    esc = {k: html.escape(v) for k, v in ui.items()}
    chrome = i18n.strings(lang)
    title = i18n.site_title(title, lang)
    for key, name in (
        ("{{nav}}", "site_nav"),
        ("{{nav_search}}", "search"),
        ("{{nav_figures}}", "figures_title"),
        ("{{nav_archive}}", "archive"),
    ):
        esc[key] = html.escape(chrome[name])
    page = _PAGE
    for key in ("{{nav}}", "{{nav_search}}", "{{nav_figures}}", "{{nav_archive}}"):
        page = page.replace(key, esc.pop(key))
    return (
        page.replace("{{lang}}", lang)
        .replace("{{marks}}", js_mark_class())
        .replace("{{title}}", html.escape(title))
        .replace("{{ui_json}}", json.dumps(ui, ensure_ascii=False).replace("</", "<\\/"))
        .replace("{{search}}", esc["search"])
        .replace("{{placeholder}}", esc["placeholder"])
        .replace("{{button}}", esc["button"])
        .replace("{{all}}", esc["all"])
        .replace("{{from}}", esc["from"])
        .replace("{{to}}", esc["to"])
        .replace("{{speaker}}", esc["speaker"])
    )


_PAGE = """<!DOCTYPE html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{search}} — {{title}}</title>
<meta name="color-scheme" content="light dark">
<meta name="generator" content="briefing">
<link rel="stylesheet" href="static/style.css">
<style>
#search-form { display: flex; flex-wrap: wrap; gap: .5rem; margin: 1rem 0; }
#search-form input[type=search] { flex: 1 1 20rem; font-size: 1.1rem; padding: .4rem; }
#results li { margin: .8rem 0; list-style: none; }
#results mark { font-weight: bold; }
#results .meta { font-size: .9rem; color: var(--muted); }
</style>
</head>
<body>
<header class="site-header"><div class="wrap"><a class="site-title" href="index.html">{{title}}</a>
<nav class="site-nav" aria-label="{{nav}}"><a href="search.html" aria-current="page">{{nav_search}}</a>
<a href="figures/index.html">{{nav_figures}}</a> <a href="archive/index.html">{{nav_archive}}</a></nav></div></header>
<main id="content" class="wrap">
<h1>{{search}}</h1>
<form id="search-form" role="search" action="search.html" method="get">
<label class="visually-hidden" for="q">{{search}}</label>
<input type="search" id="q" name="q" placeholder="{{placeholder}}" autocomplete="off">
<label>{{from}} <input type="date" id="from" name="from"></label>
<label>{{to}} <input type="date" id="to" name="to"></label>
<label>{{speaker}} <input type="text" id="speaker" name="speaker" size="14"></label>
<button type="submit">{{button}}</button>
</form>
<p id="count" aria-live="polite"></p>
<ol id="results"></ol>
<p><a href="index.html">{{all}}</a></p>
</main>
<script src="search-index.js"></script>
<script>
/* Client-side search: no server, no network. Same folding as the command line (NFD, no marks, đ→d). */
(function () {
  "use strict";
  var UI = {{ui_json}};
  var IDX = window.BRIEFING_SEARCH_INDEX;
  var form = document.getElementById("search-form"), out = document.getElementById("results"),
      count = document.getElementById("count");
  function fold(s) {
    return s.normalize("NFD").replace(/[{{marks}}]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFC").toLowerCase();
  }
  var WORD = /[\\p{L}\\p{N}_]+/gu;
  function words(s) { return fold(s).match(WORD) || []; }
  function parse(q) {
    var terms = [], re = /"([^"]*)"|(\\S+)/g, m;
    while ((m = re.exec(q))) {
      var raw = m[1] !== undefined ? m[1] : m[2], w = words(raw);
      if (w.length) terms.push({ words: w, prefix: m[1] === undefined && /\\*$/.test(raw) });
    }
    return terms;
  }
  var cache = null;
  function prepared() {
    if (!cache) cache = IDX.passages.map(function (p) { return words(p[2]); });
    return cache;
  }
  function matches(toks, t) {        // positions where term t matches in the folded tokens
    var n = t.words.length, hits = [];
    for (var i = 0; i + n <= toks.length; i++) {
      var ok = true;
      for (var k = 0; k < n && ok; k++) {
        var last = k === n - 1;
        ok = (last && t.prefix) ? toks[i + k].indexOf(t.words[k]) === 0 : toks[i + k] === t.words[k];
      }
      if (ok) hits.push(i);
    }
    return hits;
  }
  function esc(s) { return s.replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }
  function highlight(text, terms) {
    var toks = [], m, re = /[\\p{L}\\p{N}_]+/gu;
    while ((m = re.exec(text))) toks.push({ s: m.index, e: m.index + m[0].length, f: fold(m[0]) });
    var f = toks.map(function (t) { return t.f; }), mark = {};
    terms.forEach(function (t) { matches(f, t).forEach(function (i) { for (var k = 0; k < t.words.length; k++) mark[i + k] = 1; }); });
    var html = "", pos = 0;
    toks.forEach(function (t, i) {
      html += esc(text.slice(pos, t.s)) + (mark[i] ? "<mark>" + esc(text.slice(t.s, t.e)) + "</mark>" : esc(text.slice(t.s, t.e)));
      pos = t.e;
    });
    return html + esc(text.slice(pos));
  }
  function clock(s) {
    s = Math.floor(s);
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), x = s % 60, p = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h ? p(h) + ":" : "") + p(m) + ":" + p(x);
  }
  function run(q, from, to, speaker) {
    out.innerHTML = "";
    var terms = parse(q);
    if (!terms.length) { count.textContent = ""; return; }
    var toks = prepared(), spk = fold(speaker || ""), found = [];
    var N = IDX.passages.length, df = terms.map(function () { return 0; }), tf = [];
    for (var i = 0; i < N; i++) {
      var p = IDX.passages[i], b = IDX.briefings[p[0]];
      if ((from && b.date < from) || (to && b.date > to)) continue;
      if (spk && fold(p[3] || "").indexOf(spk) < 0) continue;
      var counts = [], all = true;
      for (var j = 0; j < terms.length && all; j++) {
        var c = matches(toks[i], terms[j]).length;
        if (!c) all = false; else counts.push(c);
      }
      if (all) { found.push(i); tf.push(counts); counts.forEach(function (c, j) { df[j]++; }); }
    }
    var scored = found.map(function (i, n) {   // tf-idf with length normalization, like bm25
      var len = toks[i].length || 1, s = 0;
      tf[n].forEach(function (c, j) { s += (c * 2.2 / (c + 1.2 * (0.25 + 0.75 * len / 25))) * Math.log(1 + (N - df[j] + 0.5) / (df[j] + 0.5)); });
      return { i: i, s: s };
    }).sort(function (a, b) { return b.s - a.s; }).slice(0, 50);
    count.textContent = found.length ? found.length + " " + UI.results : UI.none;
    scored.forEach(function (r) {
      var p = IDX.passages[r.i], b = IDX.briefings[p[0]], secs = Math.floor(p[1]);
      var li = document.createElement("li");
      li.className = "result";
      li.innerHTML = '<a class="hit" href="' + esc(b.url) + "#t=" + secs + '">' + esc(b.title) + " — " + esc(b.date) +
        " · " + clock(p[1]) + "</a>" + (p[3] ? '<div class="meta">' + esc(p[3]) + "</div>" : "") +
        '<div class="snippet">' + highlight(p[2], terms) + "</div>";
      out.appendChild(li);
    });
  }
  if (!IDX) { count.textContent = UI.loading; return; }
  var params = new URLSearchParams(window.location.search);
  ["q", "from", "to", "speaker"].forEach(function (k) { if (params.get(k)) document.getElementById(k).value = params.get(k); });
  function go() {
    run(document.getElementById("q").value, document.getElementById("from").value,
        document.getElementById("to").value, document.getElementById("speaker").value);
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var u = new URLSearchParams();
    ["q", "from", "to", "speaker"].forEach(function (k) { var v = document.getElementById(k).value; if (v) u.set(k, v); });
    if (window.history && history.replaceState) history.replaceState(null, "", "?" + u.toString());
    go();
  });
  go();
})();
</script>
</body>
</html>
"""


def after_publish(store: Store, settings: Any, briefing_id: str) -> None:
    """The hook to call after a briefing is published: index it, and rewrite the site's search page."""
    index_briefing(store, briefing_id)
    site = SiteSettings.of(settings)
    write_site_search(settings.site_dir, title=site.title, language=site.language)
