"""What the cluster is doing, as its broker tells it (no store): the workers seen (their heartbeats), their
queues and current tasks, the length of each queue, and the identity the coordinator's tasks ask for."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from briefing.cluster import conf, tasks
from briefing.core.config import Settings
from briefing.core.results import Result


@dataclass(frozen=True)
class CurrentTask(Result):
    """A task a worker runs now, as its worker reports it (``what``: the briefing or file it is for)."""

    task: str
    what: str | None
    seconds: int
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {**self.detail, "task": self.task, "what": self.what, "seconds": self.seconds}


@dataclass(frozen=True)
class WorkerView(Result):
    name: str
    queues: list[str]
    concurrency: int
    mismatched: list[str]  # queues on which its identity differs from the coordinator's (refused)
    current: list[CurrentTask]


@dataclass(frozen=True)
class ClusterView(Result):
    broker: str
    storage: str
    workers: list[WorkerView]
    queues: dict[str, int]  # waiting tasks per queue
    expected: dict[str, Any]  # the identity the coordinator's tasks ask for, per queue


def view(settings: Settings) -> ClusterView:
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
        refused = [
            q
            for q, n in zip(w["queues"], w["listening"], strict=True)
            if q in expected and expected[q].get("tag") != n.rsplit(".", 1)[-1]
        ]
        current = []
        for ck in client.scan_iter(match=tasks.CURRENT_KEY.format(name=w["name"], pid="*"), count=200):
            c = client.get(ck)
            if c:
                cur = json.loads(c)
                current.append(
                    CurrentTask(
                        str(cur.get("task", "")),
                        cur.get("what"),
                        round(time.time() - float(cur.get("started", time.time()))),
                        {k: v for k, v in cur.items() if k not in ("task", "what", "seconds")},
                    )
                )
        workers.append(WorkerView(w["name"], list(w["queues"]), int(w.get("concurrency", 1)), refused, current))
    lengths = {}
    for q in conf.queues(settings):
        want = expected.get(q)
        lengths[q] = tasks.queue_length(client, f"briefing.{q}.{want['tag']}") if want else 0
    return ClusterView(
        conf.shown_broker(settings),
        conf.ClusterSettings.of(settings).storage,
        workers,
        lengths,
        {q: {k: v for k, v in e.items() if k != "tag"} for q, e in expected.items()},
    )
