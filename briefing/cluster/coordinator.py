"""The coordinator: sends the pure stage bodies to the cluster and waits for their results; the pipeline
records them in the store exactly as it does in-process (same stage keys, same artifacts), because the
cluster is reached through the same seams as the in-process work: a transcriber object with
``.transcribe(path, options, progress)`` (:class:`RemoteTranscriber`), and what extracts the speech track
and makes the web media (:meth:`Coordinator.speech_audio`, :meth:`Coordinator.web_media`).

A task's id is a hash of its inputs (content keys), options and the identity of the workers it asks for,
so the same work asked twice is one task; its result is read from the cluster storage, where the worker
writes it before it acknowledges the task. When the broker goes away the coordinator says so once, waits
for it, and sends its tasks again (a worker finds their results and returns them at once).

The coordinator knows which objects each recording's tasks use and make: once a recording is finished it
removes those no other recording in flight needs (:meth:`Coordinator.release`), so a backfill of years
holds only the window of recordings in flight in the storage; the task results stay for ``cluster.keep``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from briefing.cluster import conf, tasks
from briefing.core.config import Settings
from briefing.core.errors import ClusterError
from briefing.processing import media as media_options
from briefing.processing import speech
from briefing.records.archive import PackageItem
from publish import archive as bags
from publish.files import copy_hashed

log = logging.getLogger(__name__)
POLL = 0.5  # seconds between looks at a task's state (a poll for a condition, not a wait for time)


def _job_id(kind: str, parts: dict[str, Any]) -> str:
    return f"{kind}-" + hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:40]


def _say(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


class Coordinator:
    """The coordinator's side of the cluster of ``settings`` (raises ClusterError at once when the broker
    cannot be reached)."""

    def __init__(self, settings: Settings, *, say: Callable[[str], None] = _say) -> None:
        self.settings = settings
        self.say = say
        self.queue = conf.ClusterSettings.of(settings).queue
        self.qsettings = conf.queue_settings(settings, self.queue)
        self.identity = conf.identity(settings, self.queue)
        self.celery_queue = conf.celery_queue(self.queue, self.identity)
        self.redis = tasks.check_broker(settings)
        self.app = tasks.make_app(settings)
        self.storage = tasks.storage_for(settings)
        self.sent: set[str] = set()
        self.held: dict[str, set[str]] = {}  # recording (label) -> keys of the objects its tasks use and make
        self.priority: dict[str, int] = {}  # recording (label) -> priority of its tasks (tasks.TODAY, BACKLOG)
        self._announce()

    # -- the broker --------------------------------------------------------------------------------------
    def _announce(self) -> None:
        """Say which identity this coordinator's tasks ask for: a worker that differs refuses to start."""
        self.redis.set(
            tasks.EXPECT_KEY.format(queue=self.queue), json.dumps({**self.identity, "tag": conf.tag(self.identity)})
        )

    def _wait_for_broker(self, exc: BaseException) -> None:
        self.say(
            f"the cluster broker at {conf.shown_broker(self.settings)} is unreachable ({exc}); "
            "waiting for it to come back (Ctrl-C to stop)"
        )
        while True:
            try:
                self.redis.ping()
                break
            except tasks.broker_errors():
                time.sleep(1.0)
        self.say("the cluster broker is back; resuming")
        self._announce()
        self.sent.clear()  # what was queued may be gone with the broker: send it again (idempotent)

    # -- the storage -------------------------------------------------------------------------------------
    def _hold(self, label: str, doc: dict[str, Any]) -> None:
        """Note the objects ``doc`` (a job or a task's result) names as used by the recording ``label``."""
        keys = self.held.setdefault(label or "", set())
        for k, v in doc.items():
            if k in ("source", "speech", "transcript", "audio", "video", "poster") and isinstance(v, str):
                keys.add(v)
            elif k in ("payload", "tags") and isinstance(v, dict):
                keys.update(x for x in v.values() if isinstance(x, str))

    def release(self, label: str) -> int:
        """Remove from the storage the objects of a finished recording that no other recording in flight
        uses (content-addressed: two recordings may share one); returns how many were removed. Their task
        results stay (``cluster.keep``): a task delivered once more returns its result at once."""
        mine = self.held.pop(label, set())
        others = set().union(*self.held.values()) if self.held else set()
        gone = sorted(mine - others)
        try:
            return self.storage.delete(gone) if gone else 0
        except ClusterError as exc:  # the storage is away: the next run's sweep removes them
            log.warning("objects of %s left in the cluster storage: %s", label, exc)
            return 0

    def sweep(self) -> tuple[int, int]:
        """Remove the task results and the objects older than ``cluster.keep`` (leftovers of a coordinator
        that was killed, results no task asks for again); returns (results, objects) removed."""
        return self.storage.sweep(conf.ClusterSettings.of(self.settings).keep)

    # -- tasks -------------------------------------------------------------------------------------------
    def _priority(self, name: str, job: dict[str, Any]) -> int:
        """A package's bag first (the coordinator waits on it, and it is short), then the work of the
        recordings of the day, then a backfill's: a day's briefing does not wait behind the backfill's
        tasks already queued."""
        if name == "briefing.bag":
            return tasks.WAITED
        return self.priority.get(job.get("label", ""), tasks.TODAY)

    def _send(self, name: str, job: dict[str, Any]) -> None:
        """Put the task in its queue, under its id (the hash of its inputs), at its priority."""
        self.app.send_task(
            name, args=[job], task_id=job["id"], queue=self.celery_queue, priority=self._priority(name, job)
        )

    def submit(self, name: str, job: dict[str, Any]) -> None:
        """Queue the task unless it is queued by this coordinator already or its result is stored."""
        self._hold(job.get("label", ""), job)
        if job["id"] in self.sent or self.storage.get_result(job["id"]) is not None:
            return
        while True:
            try:
                res = self.app.AsyncResult(job["id"])
                if res.state == "FAILURE":  # failed in an earlier run: a new run tries again
                    res.forget()
                self._send(name, job)
                break
            except tasks.broker_errors() as exc:
                self._wait_for_broker(exc)
        self.sent.add(job["id"])

    def wait(
        self, name: str, job: dict[str, Any], progress: Callable[[float, float], None] | None = None
    ) -> dict[str, Any]:
        """The task's outputs, once a worker has stored them; ClusterError when it failed its attempts."""
        self.submit(name, job)
        res = self.app.AsyncResult(job["id"])
        gone: set[str] = set()  # workers seen to vanish while they ran this task
        while True:
            doc = self.storage.get_result(job["id"])
            if doc is not None:
                self._hold(job.get("label", ""), doc)
                return doc
            try:
                state, info = res.state, res.info
                if state in ("STARTED", "PROGRESS") and isinstance(info, dict):
                    self._rescue(name, job, str(info.get("hostname") or ""), gone)
            except tasks.broker_errors() as exc:
                self._wait_for_broker(exc)
                self.submit(name, job)
                continue
            if state == "FAILURE":
                attempts = conf.ClusterSettings.of(self.settings).attempts
                raise ClusterError(
                    f"{job.get('what', name)} failed on the cluster ({attempts} attempts at most): "
                    f"{type(info).__name__}: {info}",
                    hint="see the worker's log; fix it and run `briefing work` again",
                )
            if state == "PROGRESS" and progress is not None and isinstance(info, dict):
                progress(float(info.get("done", 0)), float(info.get("total", 0)))
            time.sleep(POLL)

    def _rescue(self, name: str, job: dict[str, Any], host: str, gone: set[str]) -> None:
        """Send the task again when the worker running it has stopped beating (killed, machine lost): at
        once, not after ``cluster.visibility_timeout``, when Redis would deliver it again itself. Running
        twice is safe: the first result stored is the one used, and a late copy returns it at once."""
        if not host or host in gone or self.redis.exists(tasks.WORKER_KEY.format(name=host)):
            return
        gone.add(host)
        self.say(f"the worker {host} running the {job.get('what', name)} is gone; sending the task again")
        self._send(name, job)

    # -- transcription ---------------------------------------------------------------------------------
    def transcribe_job(self, speech_path: Path, opts: Any, *, label: str = "") -> dict[str, Any]:
        return self.transcribe_key_job(
            self.storage.put(Path(speech_path)), opts, label=label, name=label or Path(speech_path).name
        )

    def transcribe_key_job(self, key: str, opts: Any, *, label: str = "", name: str = "") -> dict[str, Any]:
        """The transcription of the speech stored under ``key``."""
        options = dataclasses.asdict(opts)
        expect = self.identity
        return {
            "id": _job_id("transcribe", {"speech": key, "options": options, "tag": conf.tag(expect)}),
            "queue": self.queue,
            "speech": key,
            "options": options,
            "expect": expect,
            "label": label,
            "what": f"{opts.task} of {name or label or key[:12]}",
        }

    def media_job(self, source: Path, opts: Any, *, label: str = "") -> dict[str, Any]:
        from recorder import ffmpeg as rff

        key = self.storage.put(Path(source))
        options = dataclasses.asdict(dataclasses.replace(opts, nice=0))  # the worker's machine is its own
        ff = rff.version()
        return {
            "id": _job_id("media", {"source": key, "options": options, "ffmpeg": ff}),
            "queue": self.queue,
            "source": key,
            "suffix": Path(source).suffix.lower(),
            "options": options,
            "ffmpeg": ff,
            "label": label,
            "what": f"web media of {label or Path(source).name}",
        }

    def speech_job(self, source: Path, *, label: str = "") -> dict[str, Any]:
        from recorder import ffmpeg as rff

        key = self.storage.put(Path(source))
        ff = rff.version()
        return {
            "id": _job_id("speech", {"source": key, "ffmpeg": ff}),
            "queue": self.queue,
            "source": key,
            "suffix": Path(source).suffix.lower(),
            "ffmpeg": ff,
            "label": label,
            "what": f"speech extraction of {label or Path(source).name}",
        }

    def speech_audio(self, source: Path, dest: Path, *, label: str = "") -> Path:
        """The speech track of ``source`` extracted on the cluster, downloaded (verified) to ``dest``: the
        speech seam of the pipeline's audio stage."""
        doc = self.wait("briefing.speech", self.speech_job(source, label=label))
        return self.storage.get(doc["speech"], Path(dest))

    def web_media(self, source: Path, out_dir: Path, opts: Any, *, label: str = "") -> dict[str, Path]:
        """The web media of ``source`` made on the cluster, into ``out_dir`` (audio.m4a, and for a video
        video.mp4 and poster.jpg): the media seam of the pipeline's video stage."""
        doc = self.wait("briefing.web_media", self.media_job(source, opts, label=label))
        names = {"audio": "audio.m4a", "video": "video.mp4", "poster": "poster.jpg"}
        got = {}
        for role, name in names.items():
            if role in doc:
                dest = Path(out_dir) / name
                self.storage.get(doc[role], dest)  # verified, then moved into place
                got[role] = dest
        return got

    def bag(self, staging: Path, items: list[PackageItem], info: dict[str, Any], *, label: str = "") -> Any:
        """The archive package's bag made on the cluster: the bagger seam of ``records.archive.create``.

        Each file is copied into ``staging/data`` and hashed in that one read, and stored under its hash
        (the recording, its speech and web media are there already); a worker makes the bag of those
        objects with bagit (its manifests, then a complete validation) and stores its tag files. They are
        put beside the copies here, and the bag is checked: its manifest must name the hashes of the files
        copied, its tag manifest the tag files (``publish.archive.check_assembled``). Only then does the
        coordinator store it (Object Lock), record it and validate it again where it is stored."""
        payload: dict[str, str] = {}
        for it in items:
            rel = bags.safe_rel(f"data/{it.rel}")
            dest = Path(staging) / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            if it.src is None:
                dest.write_bytes(it.data or b"")
                payload[rel] = hashlib.sha256(it.data or b"").hexdigest()
            else:
                payload[rel] = copy_hashed(it.src, dest)[0]
            self.storage.put(dest, payload[rel])
        job = {
            "id": _job_id("bag", {"payload": payload, "info": info, "protocol": conf.PROTOCOL}),
            "queue": self.queue,
            "payload": payload,
            "info": info,
            "label": label,
            "what": f"archive package of {label or Path(staging).name}",
        }
        doc = self.wait("briefing.bag", job)
        for name, key in sorted(doc["tags"].items()):
            self.storage.get(key, Path(staging) / bags.safe_rel(name))
        return bags.check_assembled(Path(staging), payload)

    def transcriber(self, model_path: Any = None, settings: Settings | None = None) -> RemoteTranscriber:
        """The engine seam of the pipeline (``speech.transcriber``'s signature)."""
        return RemoteTranscriber(self)

    def prefetch(self, recordings: list[tuple[Path, str | None, str]], *, media: bool = True) -> None:
        """Queue the speech extraction, the transcription (and the web media) of recordings ahead of their
        turn, each given as (path, language, label): their speech extractions are queued at once, then
        each transcription as soon as its speech is stored (its content key names the task); the pipeline
        waits for them later."""
        speeches = []
        for path, language, label in recordings:
            if media:
                self.submit(
                    "briefing.web_media",
                    self.media_job(Path(path), media_options.normalize_options(self.qsettings), label=label),
                )
            job = self.speech_job(Path(path), label=label)
            self.submit("briefing.speech", job)
            speeches.append((job, language, label))
        for job, language, label in speeches:
            try:
                doc = self.wait("briefing.speech", job)
            except ClusterError:  # failed its attempts: the recording's turn reports it
                continue
            opts = speech.transcribe_options(self.qsettings, language)
            self.submit("briefing.transcribe", self.transcribe_key_job(doc["speech"], opts, label=label))


class RemoteTranscriber:
    """Recognition on the cluster, with the in-process transcriber's interface."""

    def __init__(self, coordinator: Coordinator) -> None:
        self.coordinator = coordinator

    def preload(self, seconds: float, options: Any = None) -> None:
        """Nothing to load here: the workers hold the model."""

    def transcribe(
        self, audio_path: Any, options: Any = None, *, progress: Callable[[float, float], None] | None = None
    ) -> Any:
        from transcribe import formats
        from transcribe.whisper import TranscribeOptions

        c = self.coordinator
        job = c.transcribe_job(
            Path(audio_path), options or TranscribeOptions(), label=Path(audio_path).parent.parent.name
        )
        doc = c.wait("briefing.transcribe", job, progress)
        with tasks.scratch(c.settings) as d:
            return formats.from_json(
                c.storage.get(doc["transcript"], Path(d) / "transcript.json").read_text(encoding="utf-8")
            )
