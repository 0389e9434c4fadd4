"""What the cluster is doing, as its broker and workers tell it (no store): workers seen, their queues and
current tasks, the length of each queue, and the identity the coordinator's tasks ask for."""

from __future__ import annotations

import json
from typing import Any

from briefing.cluster import conf, tasks
from briefing.core.config import Settings


def view(settings: Settings, *, timeout: float = 1.5) -> dict[str, Any]:
    client = tasks.check_broker(settings)
    app = tasks.make_app(settings)
    expected: dict[str, Any] = {}
    for q in conf.queues(settings):
        raw = client.get(tasks.EXPECT_KEY.format(queue=q))
        if raw:
            expected[q] = json.loads(raw)
    insp = app.control.inspect(timeout=timeout)
    try:
        listening = insp.active_queues() or {}
        active = insp.active() or {}
    except tasks.broker_errors():
        listening, active = {}, {}
    workers = []
    for name in sorted(listening):
        names = [str(q.get("name", "")) for q in listening.get(name) or []]
        queues, refused = [], []
        for n in names:
            parts = n.split(".")
            if len(parts) != 3 or parts[0] != "briefing":
                continue
            queues.append(parts[1])
            want = expected.get(parts[1])
            if want is not None and want.get("tag") != parts[2]:
                refused.append(parts[1])
        current = []
        for t in active.get(name) or []:
            args = t.get("args") or [{}]
            job = args[0] if args and isinstance(args[0], dict) else {}
            current.append({"task": t.get("name"), "what": job.get("what"), "briefing": job.get("label"),
                            "started": t.get("time_start")})
        workers.append({"name": name, "queues": queues, "mismatched": refused, "current": current})
    lengths = {}
    for q in conf.queues(settings):
        want = expected.get(q)
        lengths[q] = int(client.llen(f"briefing.{q}.{want['tag']}")) if want else 0
    return {"broker": conf.shown_broker(settings), "storage": str(settings["cluster.storage"]),
            "workers": workers, "queues": lengths,
            "expected": {q: {k: v for k, v in e.items() if k != "tag"} for q, e in expected.items()}}
