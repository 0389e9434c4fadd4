"""Open-data export: the key figures said in every briefing, as a CSV or JSON time series.

One row per figure: the briefing's date and id, what it counts (label), the value as a number, the words
as said, the unit when known, and the second of the video where it was said (with a link to it). The JSON
form also groups the rows by label into series ordered by date, ready to plot.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefing.core import config
from briefing.core.errors import ConfigError
from briefing.core.store import Store, now_iso

FIELDS = ("date", "briefing_id", "title", "label", "value", "unit", "said", "start", "end", "url")


@dataclass(frozen=True)
class FigureRow:
    date: str
    briefing_id: str
    title: str
    label: str
    value: float
    unit: str
    said: str
    start: float
    end: float
    url: str

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in FIELDS}


def _day(value: str | None, name: str) -> str | None:
    return config.day(value, f"{name} date") if value else None


def figures(
    store: Store,
    *,
    base_url: str = "",
    date_from: str | None = None,
    date_to: str | None = None,
    label: str | None = None,
) -> list[FigureRow]:
    """Every key figure of every summarized briefing, oldest first."""
    d_from, d_to = _day(date_from, "--from"), _day(date_to, "--to")
    rows: list[FigureRow] = []
    for b in sorted(store.briefings(), key=lambda b: (b.date, b.id)):
        if (d_from and b.date < d_from) or (d_to and b.date > d_to):
            continue
        art = store.artifacts(b.id).get("summary_json")
        if art is None:
            continue
        try:
            data = json.loads(Path(art.path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for k in data.get("key_figures", ()):
            if label and label.lower() not in str(k.get("label", "")).lower():
                continue
            start = float(k.get("start", 0.0))
            page = f"briefings/{b.id}/#t={int(start)}"
            rows.append(
                FigureRow(
                    date=b.date,
                    briefing_id=b.id,
                    title=b.title,
                    label=str(k.get("label", "")),
                    value=float(k.get("value", 0.0)),
                    unit=str(k.get("unit", "") or ""),
                    said=str(k.get("said", "")),
                    start=start,
                    end=float(k.get("end", start)),
                    url=(base_url.rstrip("/") + "/" + page) if base_url else page,
                )
            )
    return rows


def to_csv(rows: list[FigureRow]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        d = r.to_dict()
        d["value"] = _num(r.value)
        w.writerow(d)
    return buf.getvalue()


def to_json(rows: list[FigureRow], *, title: str = "") -> str:
    series: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        series.setdefault(r.label, []).append(
            {
                "date": r.date,
                "value": _num(r.value),
                "unit": r.unit,
                "said": r.said,
                "briefing_id": r.briefing_id,
                "url": r.url,
            }
        )
    doc = {
        "title": title or "Key figures of the press briefings",
        "generated_at": now_iso(),
        "fields": list(FIELDS),
        "count": len(rows),
        "series": [{"label": k, "points": v} for k, v in sorted(series.items())],
        "rows": [{**r.to_dict(), "value": _num(r.value)} for r in rows],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v


def render(rows: list[FigureRow], fmt: str, *, title: str = "") -> str:
    if fmt == "csv":
        return to_csv(rows)
    if fmt == "json":
        return to_json(rows, title=title)
    raise ConfigError(f"unknown export format {fmt!r}", hint="use csv or json")
