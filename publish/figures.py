"""Figures over time: one chart per key-figure label across the published briefings.

``figures/index.html`` shows, for each label (new cases, deaths, tests, doses, …), an SVG line chart drawn
at publish time with pygal (no script: every point is a link to the moment the figure was said, on the
briefing's page), followed by the same data as a table. ``figures/figures.csv`` and
``figures/figures.json`` (described by ``schemas/figures.schema.json``) carry every point, with the
licence line of ``SiteOptions.data_license``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from typing import Any

from markupsafe import Markup

from publish import i18n
from publish.types import SiteOptions

FIGURES_DIR = "figures"
DEFAULT_LICENSE = {
    "en": "Open data: reuse freely with attribution to {title} (Creative Commons Attribution 4.0, CC BY 4.0).",
    "vi": "Dữ liệu mở: được tự do sử dụng lại, ghi rõ nguồn {title} (Creative Commons Ghi công 4.0, CC BY 4.0).",
}


def slug(label: str) -> str:
    text = unicodedata.normalize("NFD", label).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "figure"


def license_line(options: SiteOptions) -> str:
    ui = i18n.ui_language(options.language)
    return options.data_license or DEFAULT_LICENSE[ui if ui in DEFAULT_LICENSE else "en"].format(
        title=i18n.site_title(options.title, ui)
    )


def series(metas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every label's points, oldest briefing first: [{"label", "slug", "unit", "points": [...]}]."""
    by: dict[str, dict[str, Any]] = {}
    for meta in sorted(metas, key=lambda m: (m.get("date", ""), m.get("id", ""))):
        for k in meta.get("key_figures") or (meta.get("summary") or {}).get("key_figures", []):
            label = " ".join(str(k.get("label", "")).split())
            try:
                value = float(k.get("value"))
            except (TypeError, ValueError):
                continue
            if not label:
                continue
            key = label.lower()
            entry = by.setdefault(
                key,
                {
                    "label": label,
                    "slug": "",
                    "unit": str(k.get("unit", "") or ""),
                    "language": meta.get("language", "en"),
                    "points": [],
                },
            )
            start = float(k.get("start", 0.0))
            entry["points"].append(
                {
                    "briefing_id": meta["id"],
                    "date": meta.get("date", ""),
                    "title": meta.get("title", meta["id"]),
                    "value": value,
                    "said": str(k.get("said", "")),
                    "start": round(start, 2),
                    "url": f"briefings/{meta['id']}/#t={int(start)}",
                }
            )
    out = sorted(by.values(), key=lambda e: e["label"].lower())
    used: set[str] = set()
    for e in out:
        s = base = slug(e["label"])
        n = 2
        while s in used:
            s, n = f"{base}-{n}", n + 1
        used.add(s)
        e["slug"] = s
    return out


def _number(value: float, ui: str) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    if ui == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _pygal() -> Any:
    """pygal, without the import hook it adds to sys.meta_path (for its maps plugins, which are not used
    here): the hook has no find_spec, so every later import in the process would warn."""
    import sys

    import pygal

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    return pygal


def chart_svg(entry: dict[str, Any], *, ui: str, title: str) -> str:
    """The label's line chart as inline SVG (pygal, no JavaScript); each point links to its moment."""
    pygal = _pygal()
    from pygal.style import Style

    style = Style(
        background="transparent",
        plot_background="transparent",
        foreground="#1f2328",
        foreground_strong="#1f2328",
        foreground_subtle="#57606a",
        colors=("#0b5cad",),
        font_family="system-ui, sans-serif",
        label_font_size=12,
        major_label_font_size=12,
        value_font_size=12,
        tooltip_font_size=12,
        title_font_size=14,
    )
    chart = pygal.Line(
        js=[],
        disable_xml_declaration=True,
        style=style,
        show_legend=False,
        width=720,
        height=300,
        explicit_size=False,
        x_label_rotation=0,
        truncate_label=-1,
        dots_size=5,
        show_y_guides=True,
        title=None,
        print_values=False,
        value_formatter=lambda v: _number(v, ui),
        margin=16,
    )
    points = entry["points"]
    labels = [i18n.format_date(p["date"], ui) if len(points) <= 8 else p["date"] for p in points]
    chart.x_labels = labels
    if len(points) > 8:
        chart.x_labels_major_every = max(1, len(points) // 6)
        chart.show_minor_x_labels = False
    chart.add(
        entry["label"],
        [
            {
                "value": p["value"],
                "label": f"{p['said']} ({p['title']})",
                "xlink": {"href": "../" + p["url"], "target": "_top"},
            }
            for p in points
        ],
    )
    svg: str = chart.render(is_unicode=True)
    # pygal names each chart with a random UUID: the chart's slug instead, so that the same figures give
    # the same page (and an upload target sends nothing again)
    svg = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", entry["slug"], svg)
    # pygal writes its (unused: js=[]) configuration as an inline script: none on the page
    svg = re.sub(r"<script\b[^>]*>.*?</script>", "", svg, flags=re.S)
    # inside HTML, every SVG element written with its end tag (as the page's other elements are)
    svg = re.sub(r"<([A-Za-z][\w:-]*)((?:\s[^<>]*?)?)\s*/>", r"<\1\2></\1>", svg)
    # an accessible name for the drawing; the table after it carries the same data for every reader
    svg = svg.replace("<svg ", f'<svg role="group" aria-label="{Markup.escape(title)}" ', 1)
    return svg


def site_files(
    metas: list[dict[str, Any]], options: SiteOptions, common: dict[str, Any], env: Any
) -> list[tuple[str, bytes]]:
    """(path, bytes) of figures/index.html, figures/figures.csv and figures/figures.json."""
    ui = common["lang"]
    t = common["t"]
    data = series(metas)
    licence = license_line(options)
    charts = []
    for e in data:
        title = t["chart_of"].format(label=e["label"])
        charts.append(
            {
                **e,
                "svg": Markup(chart_svg(e, ui=ui, title=title)),
                "chart_title": title,
                "rows": [
                    {
                        **p,
                        "date_text": i18n.format_date(p["date"], ui),
                        "href": "../" + p["url"],
                        "value_text": _number(p["value"], ui),
                        "ts": i18n.format_timestamp(p["start"]),
                    }
                    for p in e["points"]
                ],
            }
        )
    page = env.get_template("figures.html").render(**common, root="../", charts=charts, licence=licence)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["label", "date", "briefing_id", "value", "said", "start_seconds", "url"])
    base = options.base_url.rstrip("/") + "/" if options.base_url else ""
    for e in data:
        for p in e["points"]:
            w.writerow(
                [
                    e["label"],
                    p["date"],
                    p["briefing_id"],
                    _number_csv(p["value"]),
                    p["said"],
                    p["start"],
                    base + p["url"],
                ]
            )
    doc = {
        "$schema": (base or "../") + "schemas/figures.schema.json",
        "title": t["figures_title"],
        "license": licence,
        "generated_from": (base or "") + "briefings.json",
        "figures": [
            {**e, "points": [{**p, "url": base + p["url"] if base else "../" + p["url"]} for p in e["points"]]}
            for e in data
        ],
    }
    return [
        (f"{FIGURES_DIR}/index.html", page.encode("utf-8")),
        (f"{FIGURES_DIR}/figures.csv", buf.getvalue().encode("utf-8")),
        (f"{FIGURES_DIR}/figures.json", (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")),
    ]


def _number_csv(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
