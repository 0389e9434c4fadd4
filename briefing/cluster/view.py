"""What the cluster is doing, as its broker tells it (no store): the workers seen (their heartbeats), their
queues and current tasks, the length of each queue, and the identity the coordinator's tasks ask for."""

from __future__ import annotations

import json
import time
from typing import Any

from briefing.cluster import conf, tasks
from briefing.core.config import Settings


def view(settings: Settings) -> dict[str, Any]:
    client = tasks.check_broker(settings)
    expected: dict[str, Any] = {}
    for q in conf.queues(settings):
        raw = client.get(tasks.EXPECT_KEY.format(queue=q))
        if raw:
            expected[q] = json.loads(raw)
    workers = []
    for key in sorted(client.scan_iter(match=tasks.WORKER_KEY.format(name="*"), count=200)):
        raw = client.get(key)
        if not raw:
            continue
        w = json.loads(raw)
        refused = [q for q, n in zip(w["queues"], w["listening"], strict=True)
                   if q in expected and expected[q].get("tag") != n.rsplit(".", 1)[-1]]
        current = []
        for ck in client.scan_iter(match=tasks.CURRENT_KEY.format(name=w["name"], pid="*"), count=200):
            c = client.get(ck)
            if c:
                cur = json.loads(c)
                current.append({**cur, "seconds": round(time.time() - float(cur.get("started", time.time())))})
        workers.append({"name": w["name"], "queues": w["queues"], "concurrency": w.get("concurrency", 1),
                        "mismatched": refused, "current": current})
    lengths = {}
    for q in conf.queues(settings):
        want = expected.get(q)
        lengths[q] = int(client.llen(f"briefing.{q}.{want['tag']}")) if want else 0
    return {"broker": conf.shown_broker(settings), "storage": conf.ClusterSettings.of(settings).storage,
            "workers": workers, "queues": lengths,
            "expected": {q: {k: v for k, v in e.items() if k != "tag"} for q, e in expected.items()}}
