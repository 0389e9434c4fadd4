"""``[cluster]`` of briefing.toml: the broker, the storage, the queues and their engine and model settings,
and a worker's identity (model, engine and task versions) that the coordinator and its workers must share.

    [cluster]
    broker = "redis://queue.gov.example:6379/0"      # the password: BRIEFING_CLUSTER_BROKER_PASSWORD(_FILE)
    storage = "s3://briefing-cluster/media"          # or a directory every machine mounts
    queue = "cpu"                                    # where the coordinator sends recognition
    [cluster.queues.gpu]
    model = "large-v3"
    device = "cuda"
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from briefing.core import config
from briefing.core.config import Setting, Settings
from briefing.core.errors import ConfigError
from briefing.processing import speech
from publish.files import sha256_file

PROTOCOL = 1  # the tasks' arguments and results; part of a worker's identity

config.register(
    Setting(
        "cluster.broker",
        "",
        "The cluster's Redis broker, e.g. redis://queue.gov.example:6379/0 or "
        "rediss://… for TLS (empty: everything runs in-process, no cluster).",
    ),
    Setting("cluster.broker_password", "", "The broker's password (environment or _FILE only).", secret=True),
    Setting("cluster.storage", "", "Storage every worker reads: s3://bucket/prefix or a shared directory."),
    Setting("cluster.s3_endpoint_url", "", "S3 endpoint of the cluster storage (MinIO, Ceph); empty for AWS."),
    Setting("cluster.s3_region", "", "S3 region of the cluster storage."),
    Setting("cluster.queue", "cpu", "The queue the coordinator sends recognition to (cpu, gpu ...)."),
    Setting(
        "cluster.visibility_timeout",
        6 * 3600.0,
        "How long a task taken by a worker that vanished waits before "
        "it is delivered again; longer than the longest task.",
        config.duration,
    ),
    Setting("cluster.attempts", 3, "Attempts of a failing task before it is marked failed.", int),
    Setting(
        "cluster.keep",
        7 * 86400.0,
        "How long task results, and objects a recording no longer needs, stay in the cluster storage "
        "(a task delivered twice within it returns its stored result at once).",
        config.duration,
    ),
    Setting(
        "cluster.ahead",
        8,
        "Transcriptions `briefing work` queues on the cluster ahead of the job it "
        "finishes (at least the number of worker slots).",
        int,
    ),
)
config.register_section("cluster.queues")


class ClusterSettings(config.Area, area="cluster"):
    """The cluster: its broker, storage, the queue recognition goes to, and how tasks are retried."""

    broker: str
    broker_password: str
    storage: str
    s3_endpoint_url: str
    s3_region: str
    queue: str
    visibility_timeout: float
    attempts: int
    keep: float
    ahead: int


# what [cluster.queues.NAME] may set: the settings a kind of worker transcribes with
QUEUE_KEYS = {
    "model": "transcribe.model",
    "device": "transcribe.device",
    "compute_type": "transcribe.compute_type",
    "cpu_threads": "transcribe.cpu_threads",
    "beam_size": "transcribe.beam_size",
    "streams": "transcribe.streams",
}


def configured(settings: Settings) -> bool:
    return bool(ClusterSettings.of(settings).broker.strip())


def broker_url(settings: Settings) -> str:
    """The broker URL with the password from the environment (a password in briefing.toml is refused)."""
    raw = ClusterSettings.of(settings).broker.strip()
    if not raw:
        raise ConfigError("no cluster is configured", hint='set [cluster] broker = "redis://host:6379/0"')
    parts = urlsplit(raw)
    if parts.scheme not in ("redis", "rediss"):
        raise ConfigError(
            f"cluster.broker {raw!r} is not a Redis URL",
            hint="use redis://host:6379/0, or rediss://host:6380/0 for TLS",
        )
    if parts.password and settings.sources.get("cluster.broker") == "briefing.toml":
        raise ConfigError(
            "cluster.broker in briefing.toml holds a password",
            hint="remove it from the URL and set BRIEFING_CLUSTER_BROKER_PASSWORD "
            "(or BRIEFING_CLUSTER_BROKER_PASSWORD_FILE) in the environment",
        )
    password = ClusterSettings.of(settings).broker_password
    if password and not parts.password:
        user = quote(parts.username or "", safe="")
        netloc = f"{user}:{quote(password, safe='')}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def shown_broker(settings: Settings) -> str:
    """The broker URL without its password (for messages)."""
    parts = urlsplit(ClusterSettings.of(settings).broker.strip())
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=host))


def queues(settings: Settings) -> dict[str, dict[str, Any]]:
    node = settings.section("cluster.queues") or {}
    if not isinstance(node, dict) or not all(isinstance(v, dict) for v in node.values()):
        raise ConfigError(
            "[cluster.queues] must hold one table per queue",
            hint='e.g. [cluster.queues.gpu]\nmodel = "large-v3"\ndevice = "cuda"',
        )
    out = {"cpu": {}, **{str(k): dict(v) for k, v in node.items()}}
    for name, table in out.items():
        bad = sorted(set(table) - set(QUEUE_KEYS) - {"model_sha256"})
        if bad:
            raise ConfigError(
                f"unknown setting {bad[0]!r} in [cluster.queues.{name}]",
                hint="a queue sets " + ", ".join(sorted([*QUEUE_KEYS, "model_sha256"])),
            )
    return out


def queue_settings(settings: Settings, queue: str) -> Settings:
    """The settings a worker of ``queue`` transcribes with (and the coordinator keys that work by)."""
    qs = queues(settings)
    if queue not in qs:
        raise ConfigError(f"no queue {queue!r} in [cluster.queues]", hint="queues: " + ", ".join(sorted(qs)))
    values = dict(settings.values)
    sources = dict(settings.sources)
    for k, v in qs[queue].items():
        if k == "model_sha256":
            continue
        name = QUEUE_KEYS[k]
        setting = next(s for s in config.SETTINGS if s.name == name)
        try:
            values[name] = setting.type(v)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad {k} in [cluster.queues.{queue}]: {exc}", hint="fix the value") from None
        sources[name] = f"[cluster.queues.{queue}]"
    return dataclasses.replace(settings, values=values, sources=sources, areas={})  # options built anew


def model_sha256(settings: Settings, model_path: Any) -> str | None:
    """SHA-256 of the model's weights (model.bin) when the model is a directory here; cached by size and
    modification time (a large model takes seconds to hash)."""
    p = Path(str(model_path))
    weights = p / "model.bin"
    if not weights.is_file():
        return None
    st = weights.stat()
    cache = settings.cache_dir / "cluster" / "model-hashes.json"
    tag = f"{weights.resolve()}:{st.st_size}:{st.st_mtime_ns}"
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if tag not in known:
        known[tag] = sha256_file(weights)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")  # several workers start at once
        tmp.write_text(json.dumps(known), encoding="utf-8")
        tmp.replace(cache)
    return str(known[tag])


def identity(settings: Settings, queue: str) -> dict[str, Any]:
    """What a worker of the queue transcribes with: the model (its id, as in the stage keys, and the hash of
    its weights: of the directory here, else ``model_sha256`` of [cluster.queues.NAME], for a coordinator
    that does not hold a GPU worker's model), the engine's versions and the tasks' protocol."""
    qsettings = queue_settings(settings, queue)
    model_path, model_id = speech.model(qsettings)
    declared = queues(settings)[queue].get("model_sha256")
    return {
        "model": model_id,
        "model_sha256": model_sha256(qsettings, model_path) or declared,
        "engine": speech.engine_version(),
        "protocol": PROTOCOL,
    }


def tag(ident: dict[str, Any]) -> str:
    """A short name of an identity: workers listen on ``briefing.<queue>.<tag>``, so a worker that differs
    never receives the coordinator's tasks."""
    body = json.dumps([ident["model"], ident.get("model_sha256"), ident["engine"], ident["protocol"]])
    return hashlib.sha256(body.encode()).hexdigest()[:10]


def celery_queue(queue: str, ident: dict[str, Any]) -> str:
    return f"briefing.{queue}.{tag(ident)}"


def differences(mine: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    out = []
    for k, what in (
        ("model", "model"),
        ("model_sha256", "model weights (SHA-256)"),
        ("engine", "engine"),
        ("protocol", "task protocol"),
    ):
        if mine.get(k) != theirs.get(k):
            out.append(f"{what} {str(mine.get(k))[:40]} here, {str(theirs.get(k))[:40]} on the coordinator")
    return out
