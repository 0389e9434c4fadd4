"""The Celery app and the tasks: pure stage bodies over content-addressed inputs and outputs.

Each task takes a job (a dict: its id, the queue, the keys of its inputs in the cluster storage, its options
and the identity the coordinator expects) and returns the keys of its outputs. A task writes its result to
the storage under its id before it returns, and a task whose result is there already returns it at once:
a task delivered twice (its worker was killed before it acknowledged it, ``acks_late``) does its work at
most twice and publishes nothing (the coordinator records and publishes). Workers never open the store.

Tasks: ``briefing.speech`` (the speech track of a recording, 16 kHz mono WAV, bit-exact: the same bytes
the audio stage makes in-process), ``briefing.transcribe`` (recognition, or Whisper's translation with
``task = "translate"``), ``briefing.web_media`` (the web audio, video and poster of a recording) and
``briefing.bag`` (the BagIt bag of an archive package: its manifests and a complete validation, over the
payload's objects; the coordinator, which reads the store and holds the archive's credentials, checks it,
stores it, records it and validates it again). Celery is imported only when a cluster is used.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from briefing.cluster import conf
from briefing.cluster.storage import Storage, open_storage
from briefing.core.config import Settings
from briefing.core.errors import ClusterError
from briefing.core.faults import checkpoint, fault_point
from briefing.processing import speech

log = logging.getLogger(__name__)
NAMES = ("briefing.speech", "briefing.transcribe", "briefing.web_media", "briefing.bag")
EXPECT_KEY = "briefing:cluster:expect:{queue}"  # the identity the coordinator's tasks of a queue ask for
WORKER_KEY = "briefing:cluster:worker:{name}"  # a worker's heartbeat: its queues, tags, tasks done
CURRENT_KEY = "briefing:cluster:current:{name}:{pid}"  # the task a worker's process is running now
HEARTBEAT = 5.0  # seconds between a worker's heartbeats; its record lives 4 beats
# Task priorities (Redis: 0 is taken first; kombu keeps a list per step, 0 3 6 9): what the coordinator
# waits on at once (a package's bag), the work of a recording of the day, the work of a backfill
WAITED, TODAY, BACKLOG = 0, 3, 6


def queue_length(client: Any, name: str) -> int:
    """Tasks waiting in the Celery queue ``name``, every priority counted (kombu's Redis transport keeps
    a list per priority step, named after the queue)."""
    from kombu.transport.redis import PRIORITY_STEPS, Channel

    keys = [name if step == 0 else f"{name}{Channel.sep}{step}" for step in PRIORITY_STEPS]
    return sum(int(client.llen(k)) for k in keys)


class Refused(Exception):
    """This worker cannot run the task as asked (a different model or engine): not retried."""


def storage_for(settings: Settings) -> Storage:
    cs = conf.ClusterSettings.of(settings)
    return open_storage(cs.storage, endpoint_url=cs.s3_endpoint_url, region=cs.s3_region)


def make_app(settings: Settings) -> Any:
    """A Celery app for the cluster of ``settings``: Redis as broker and result store, tasks acknowledged
    after they finish, redelivered after ``cluster.visibility_timeout`` when their worker vanished."""
    from celery import Celery

    url = conf.broker_url(settings)
    vt = max(int(conf.ClusterSettings.of(settings).visibility_timeout), 1)
    app = Celery("briefing", set_as_current=False)
    app.conf.update(
        broker_url=url,
        result_backend=url,
        broker_transport_options={"visibility_timeout": vt},
        result_backend_transport_options={"visibility_timeout": vt},
        broker_connection_retry_on_startup=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        result_extended=True,
        result_expires=7 * 86400,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        worker_hijack_root_logger=False,
        worker_send_task_events=True,
        task_send_sent_event=True,
        task_default_queue="briefing.unrouted",
    )
    retries = max(conf.ClusterSettings.of(settings).attempts, 1) - 1
    opts = {
        "bind": True,
        "acks_late": True,
        "autoretry_for": (Exception,),
        "dont_autoretry_for": (Refused,),
        "max_retries": retries,
        "default_retry_delay": 2,
    }
    app.task(name="briefing.speech", **opts)(_speech)
    app.task(name="briefing.transcribe", **opts)(_transcribe)
    app.task(name="briefing.web_media", **opts)(_web_media)
    app.task(name="briefing.bag", **opts)(_bag)
    return app


# -- the worker's side ------------------------------------------------------------------------------------
@dataclasses.dataclass
class WorkerContext:
    settings: Settings
    storage: Storage
    identities: dict[str, dict[str, Any]]  # queue -> identity
    redis: Any = None


_CTX: WorkerContext | None = None


def start_worker_context(settings: Settings, queue_names: list[str]) -> WorkerContext:
    global _CTX
    idents = {q: conf.identity(settings, q) for q in queue_names}
    st = storage_for(settings)
    _CTX = WorkerContext(settings, st, idents, redis_client(settings))
    return _CTX


def _ctx() -> WorkerContext:
    if _CTX is None:
        raise Refused("this process is not a briefing worker (start it with `briefing worker`)")
    return _CTX


def _check(ctx: WorkerContext, job: dict[str, Any]) -> None:
    mine = ctx.identities.get(job["queue"])
    if mine is None:
        raise Refused(f"this worker does not serve the queue {job['queue']}")
    diff = conf.differences(mine, job["expect"])
    if diff:
        raise Refused("this worker differs from the coordinator: " + "; ".join(diff))


def _done(ctx: WorkerContext, job: dict[str, Any]) -> dict[str, Any] | None:
    return ctx.storage.get_result(job["id"])


def _running(task: Any, job: dict[str, Any]) -> Any:
    """Say in the broker which task this process runs (for `briefing cluster status`), until it ends."""
    import contextlib

    @contextlib.contextmanager
    def held() -> Any:
        ctx = _ctx()
        key = CURRENT_KEY.format(name=str(getattr(task.request, "hostname", "") or "?"), pid=os.getpid())
        body = json.dumps(
            {"what": job.get("what"), "briefing": job.get("label"), "task": task.name, "started": time.time()}
        )
        try:
            ctx.redis.set(key, body, ex=max(int(conf.ClusterSettings.of(ctx.settings).visibility_timeout), 60))
        except broker_errors():
            pass
        try:
            yield
        finally:
            try:
                ctx.redis.delete(key)
            except broker_errors():
                pass

    return held()


def _finish(ctx: WorkerContext, task: Any, job: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    doc = {**doc, "worker": str(getattr(task.request, "hostname", "") or ""), "id": job["id"]}
    ctx.storage.put_result(job["id"], doc)
    fault_point(f"cluster:{job['id'].split('-')[0]}:stored")
    return doc


def scratch(settings: Settings) -> Any:
    """A directory for one task's files, removed afterwards (inputs are fetched for each task: a worker keeps
    no copy of the archive it works through)."""
    d = settings.home / "cluster" / "scratch"
    d.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=d)


def normalize_options(d: dict[str, Any]) -> Any:
    """NormalizeOptions from its dataclasses.asdict form (the job carries the coordinator's)."""
    from recorder.normalize import Loudnorm, NormalizeOptions

    return NormalizeOptions(**{**d, "loudnorm": Loudnorm(**d["loudnorm"]) if d.get("loudnorm") else None})


def _speech(task: Any, job: dict[str, Any]) -> dict[str, Any]:
    """The speech track of the source (``recorder.normalize.extract_speech_audio``), as the audio stage
    extracts it in-process: the coordinator downloads it and records it under the same stage key."""
    from recorder import ffmpeg as rff
    from recorder import normalize as rn

    ctx = _ctx()
    if (doc := _done(ctx, job)) is not None:
        return doc
    if rff.version() != job["ffmpeg"]:
        raise Refused(f"this worker has ffmpeg {rff.version()}, the coordinator {job['ffmpeg']}")
    with _running(task, job), scratch(ctx.settings) as tmp:
        d = Path(tmp)
        src = ctx.storage.get(job["source"], d / ("source" + job.get("suffix", "")))
        wav = rn.extract_speech_audio(src, d / "speech.wav")
        return _finish(ctx, task, job, {"speech": ctx.storage.put(Path(wav))})


def _web_media(task: Any, job: dict[str, Any]) -> dict[str, Any]:
    """The web audio (loudness-normalized AAC), and for a video its H.264 MP4 and poster, as the video stage
    makes them in-process."""
    from recorder import ffmpeg as rff
    from recorder import normalize as rn
    from recorder import probe as rp

    ctx = _ctx()
    if (doc := _done(ctx, job)) is not None:
        return doc
    if rff.version() != job["ffmpeg"]:
        raise Refused(f"this worker has ffmpeg {rff.version()}, the coordinator {job['ffmpeg']}")
    with _running(task, job), scratch(ctx.settings) as tmp:
        d = Path(tmp)
        src = ctx.storage.get(job["source"], d / ("source" + job.get("suffix", "")))
        opts = normalize_options(job["options"])
        info = rp.probe(src)
        out: dict[str, Any] = {}
        poster = rn.make_poster(src, d / "poster.jpg", info, opts) if info.has_video else None
        audio = rn.make_web_audio(src, d / "audio.m4a", opts, info=info)
        if poster is not None:
            video = rn.make_web_video(src, d / "video.mp4", info, opts, audio_from=audio)
            out["video"] = ctx.storage.put(video)
            out["poster"] = ctx.storage.put(poster)
        out["audio"] = ctx.storage.put(audio)
        return _finish(ctx, task, job, out)


def _bag(task: Any, job: dict[str, Any]) -> dict[str, Any]:
    """The bag of an archive package: its payload fetched from the storage (each object's hash checked),
    then ``publish.archive.make_bag`` (the SHA-256 manifests and a complete validation); returns the keys of
    its tag files (bagit.txt, bag-info.txt and the manifests). Nothing is stored in the archive here."""
    from publish import archive as bags

    ctx = _ctx()
    if (doc := _done(ctx, job)) is not None:
        return doc
    with _running(task, job), scratch(ctx.settings) as tmp:
        root = Path(tmp) / "bag"
        for rel, key in sorted(job["payload"].items()):
            rel = bags.safe_rel(rel)
            if not rel.startswith("data/"):
                raise Refused(f"payload file {rel!r} is not under data/")
            ctx.storage.get(key, root / rel[len("data/") :])  # make_bag moves the payload into data/
        try:
            check = bags.make_bag(root, job["info"])
        except bags.ArchiveError as exc:
            raise ClusterError(str(exc), hint=exc.hint) from None
        tags = {rel: ctx.storage.put(root / rel) for rel in bags.bag_files(root) if not rel.startswith("data/")}
        return _finish(ctx, task, job, {"tags": tags, "oxum": check.oxum})


def _transcribe(task: Any, job: dict[str, Any]) -> dict[str, Any]:
    from transcribe import formats
    from transcribe.whisper import TranscribeOptions

    ctx = _ctx()
    if (doc := _done(ctx, job)) is not None:
        return doc
    _check(ctx, job)
    qs = conf.queue_settings(ctx.settings, job["queue"])
    opts = TranscribeOptions(**job["options"])
    model_path, _ = speech.model(qs)
    reported = {"at": 0.0, "first": True}
    lock = threading.Lock()

    def progress(done: float, total: float) -> None:
        with lock:
            if reported["first"]:
                reported["first"] = False
                checkpoint("cluster:transcribing")  # tests hold a worker here, mid-transcription, to kill it
            now = time.monotonic()
            if now - reported["at"] < 1.0:
                return
            reported["at"] = now
        try:
            task.update_state(
                state="PROGRESS",
                meta={
                    "done": done,
                    "total": total,
                    "label": job.get("label"),
                    "hostname": str(getattr(task.request, "hostname", "") or ""),
                },
            )
        except Exception:  # noqa: BLE001 - progress is best effort (the broker may be away for a moment)
            log.debug("progress not sent", exc_info=True)

    with _running(task, job), scratch(ctx.settings) as tmp:
        audio = ctx.storage.get(job["speech"], Path(tmp) / "speech.wav")
        # the engine the coordinator's settings choose for the language (viet-asr for Vietnamese by default);
        # Whisper for a translation
        engine = (
            speech.recognizer(qs, opts.language)[0] if opts.task == "transcribe" else speech.transcriber(model_path, qs)
        )
        t = engine.transcribe(audio, opts, progress=progress)
        out = Path(tmp) / "transcript.json"
        out.write_text(formats.to_json(t), encoding="utf-8")
        return _finish(ctx, task, job, {"transcript": ctx.storage.put(out)})


# -- broker helpers (coordinator, worker and status) -----------------------------------------------------
def redis_client(settings: Settings) -> Any:
    import redis

    return redis.Redis.from_url(conf.broker_url(settings), socket_connect_timeout=3, socket_timeout=5)


def broker_errors() -> tuple[type[Exception], ...]:
    import kombu.exceptions
    import redis

    return (
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        kombu.exceptions.OperationalError,
        ConnectionError,
        OSError,
    )


def check_broker(settings: Settings) -> Any:
    """A Redis client of the broker, or a ClusterError in one line when it cannot be reached."""
    import redis

    client = redis_client(settings)
    try:
        client.ping()
    except redis.exceptions.AuthenticationError:
        raise ClusterError(
            f"the cluster broker at {conf.shown_broker(settings)} refused the password",
            hint="set BRIEFING_CLUSTER_BROKER_PASSWORD (or _FILE) to the broker's password",
        ) from None
    except broker_errors() as exc:
        raise ClusterError(
            f"cannot reach the cluster broker at {conf.shown_broker(settings)} ({exc})",
            hint="start redis-server there, or fix cluster.broker",
        ) from None
    return client
