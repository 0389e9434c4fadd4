"""``briefing worker``: a Celery worker of the cluster, with this machine's engine and model settings.

It listens on ``briefing.<queue>.<tag>`` for each of its queues (the tag names its model, model weights,
engine and task versions: a worker that differs from the coordinator never receives its tasks), and
refuses to start when the coordinator has announced a different identity for a queue."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Any

from briefing.cluster import conf, tasks
from briefing.core.config import Settings
from briefing.core.errors import ClusterError, ConfigError


def parse_queues(value: str, settings: Settings) -> list[str]:
    names = [q.strip() for q in (value or "").split(",") if q.strip()]
    known = conf.queues(settings)
    if not names:
        raise ConfigError("no queue given", hint="use --queues cpu, or --queues cpu,gpu")
    for q in names:
        if q not in known:
            raise ConfigError(
                f"no queue {q!r}",
                hint="queues: " + ", ".join(sorted(known)) + " (add others as [cluster.queues.NAME] in briefing.toml)",
            )
    return list(dict.fromkeys(names))


def check_identity(settings: Settings, client: Any, identities: dict[str, dict[str, Any]]) -> None:
    """ClusterError when the coordinator announced, for one of this worker's queues, another identity."""
    for q, mine in identities.items():
        raw = client.get(tasks.EXPECT_KEY.format(queue=q))
        if not raw:
            continue
        theirs = json.loads(raw)
        diff = conf.differences(mine, theirs)
        if diff:
            raise ClusterError(
                f"this worker is refused on queue {q}: " + "; ".join(diff),
                hint=f"install the coordinator's model and versions here (or set [cluster.queues.{q}] "
                "model to the same model), then start the worker again",
            )


def prepare(settings: Settings, queues: list[str]) -> tuple[Any, list[str]]:
    """The Celery app and the queue names to listen on, after the checks (broker, identity)."""
    if not conf.configured(settings):
        raise ConfigError(
            "no cluster is configured", hint='set [cluster] broker = "redis://host:6379/0" and storage in briefing.toml'
        )
    client = tasks.check_broker(settings)
    ctx = tasks.start_worker_context(settings, queues)
    check_identity(settings, client, ctx.identities)
    app = tasks.make_app(settings)
    return app, [conf.celery_queue(q, ctx.identities[q]) for q in queues]


def _heartbeat(settings: Settings, name: str, queues: list[str], names: list[str], concurrency: int) -> None:
    """Tell the broker every few seconds that this worker lives, and what it listens on (a busy worker
    answers no remote-control call: its record is how `briefing cluster status` sees it)."""
    client = tasks.redis_client(settings)
    body = json.dumps(
        {"name": name, "queues": queues, "listening": names, "concurrency": concurrency, "started": time.time()}
    )
    key = tasks.WORKER_KEY.format(name=name)

    def beat() -> None:
        while True:
            try:
                client.set(key, body, ex=int(tasks.HEARTBEAT * 4))
            except tasks.broker_errors():
                pass  # the broker is away: Celery reconnects, and so do the beats
            time.sleep(tasks.HEARTBEAT)

    threading.Thread(target=beat, name="briefing-heartbeat", daemon=True).start()


def run(settings: Settings, queues: list[str], *, concurrency: int = 1, loglevel: str = "INFO") -> None:
    """Run the worker until it is stopped (SIGTERM: it finishes its task first; Ctrl-C twice: at once)."""
    if concurrency < 1:
        raise ConfigError(f"--concurrency {concurrency}", hint="use 1 or more (one per CPU core or GPU)")
    app, names = prepare(settings, queues)
    name = f"briefing-{'+'.join(queues)}-{os.getpid()}@{socket.gethostname()}"
    _heartbeat(settings, name, queues, names, concurrency)
    app.worker_main(
        [
            "worker",
            "-Q",
            ",".join(names),
            "-c",
            str(concurrency),
            "-P",
            "solo" if concurrency == 1 else "prefork",
            "-n",
            name,
            "-l",
            loglevel,
            "--without-gossip",
            "--without-mingle",
            "-E",
        ]
    )
