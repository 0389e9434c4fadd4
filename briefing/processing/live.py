"""Live transcription of a briefing while its capture runs (transcribe.live over recorder.capture's segments).

    follower = start_follower(store, settings, bid)   # a thread beside the capture
    ...                                               # each finished segment: decoded, fed, chunks stored
    follower.wait()                                   # after the capture ended: the last chunk

- A capture segment is finished when the next one exists, or when no capture runs in the directory.
  Its audio is decoded to 16 kHz (recorder.pcm) and appended to the live timeline; every chunk
  transcribe.live completes is stored in ``live_chunks`` in the same transaction as the segment's row
  in ``live_sources``. A restart (new process, crash) rebuilds the transcriber from those rows and
  re-decodes only the segments after the last chunk: nothing is transcribed twice, nothing is lost.
- One step at a time per briefing (``live/live.lock``): the follower and the pipeline's transcribe
  stage (:func:`adoptable`) may both try to finish; the second finds the run complete.
- With ``live.page`` on, ``<site>/live/<id>/`` shows the text so far, marked "live, unverified".
- At the end the transcribe stage adopts the complete live transcript when it covers the same
  recording (the capture's joined file, the same segments, the same model and options), so only the
  last chunk is transcribed after the stream ends.
- With ``live.media`` on, each finished segment also goes to the progressive web-audio encoder
  (:class:`MediaFollower`), which the video stage adopts in the same way (:func:`adoptable_media`):


  - The live :class:`~briefing.processing.live.Follower` hands every finished capture segment to :func:`step` (under the
    live lock). Once ``LEAD`` seconds are there, the gain to the loudness target (``media.loudness``) is
    chosen from them and one ffmpeg starts encoding; each later segment is fed to it as it finishes. At the
    end only the last segment remains: finishing takes about a second, whatever the length.
  - ``live/media.json`` records the segments fed (names and sizes), the gain and the loudness of the whole
    stream. The pipeline's video stage (:func:`adoptable_media`) uses ``live/audio.stream.m4a`` only when it is of
    the same recording (the capture's joined file is the source, the same segments on disk, the same
    duration, the same target and bitrate) and its output lands within ``TOLERANCE`` LU of the target with
    the true peak under the target's; otherwise it makes the web audio the ordinary way (two passes).
  - One encoder per briefing per process; a follower in another process (a restart) starts it again from
    the first segment.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from briefing.core import config, workspace
from briefing.core.config import Setting, Settings
from briefing.core.errors import translated
from briefing.core.fsutil import atomic_write_text, sha256_text
from briefing.core.locks import FileLock
from briefing.core.results import ABSENT, Absent, Result
from briefing.core.store import Store, now_iso
from briefing.processing import media, speech

config.register(
    Setting(
        "live.enabled",
        True,
        "Transcribe a live capture while it is recorded (publish within a minute of the end).",
        config.boolean,
    ),
    Setting(
        "live.page",
        False,
        "Publish a live page (<site>/live/ID/, marked live, unverified) while the briefing runs.",
        config.boolean,
    ),
    Setting("live.min_chunk", 20.0, "Seconds of audio before a live chunk may be cut at a pause.", float),
    Setting("live.max_chunk", 30.0, "Longest live chunk in seconds (cut at the longest short pause).", float),
    Setting(
        "live.media",
        True,
        "Make the loudness-normalized web audio while a capture records (the video "
        "stage adopts it when it matches the joined recording).",
        config.boolean,
    ),
    Setting("live.wait", 900.0, "Seconds the transcribe stage waits for a live transcriber to finish.", float),
)


class LiveSettings(config.Area, area="live"):
    enabled: bool
    page: bool
    min_chunk: float
    max_chunk: float
    media: bool
    wait: float


SR = 16_000


log = logging.getLogger(__name__)


def _options(settings: Settings, language: str | None) -> tuple[Any, Any, str]:
    """(TranscribeOptions, LiveOptions, key): the pipeline's options, so the result can be adopted."""
    from transcribe.live import LiveOptions

    opts = speech.transcribe_options(settings, language)
    o = LiveSettings.of(settings)
    lo = LiveOptions(min_chunk=o.min_chunk, max_chunk=o.max_chunk)
    _, model_id, _ = speech.recognizer(settings, language)  # the engine of this language
    g = speech.guard_options(settings)
    return (
        opts,
        lo,
        sha256_text(json.dumps({"opts": repr(opts), "model": model_id, "guards": g.key() if g is not None else None})),
    )


# -- store rows -------------------------------------------------------------------------------------
def run_row(store: Store, bid: str) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM live_runs WHERE briefing_id = ?", (bid,))
    if not rows:
        return None
    d = dict(rows[0])
    d["info"] = json.loads(d["info"] or "{}")
    return d


def _sources(store: Store, bid: str) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in store.query("SELECT * FROM live_sources WHERE briefing_id = ? ORDER BY start_sample, name", (bid,))
    ]


def _chunks(store: Store, bid: str) -> list[Any]:
    from transcribe.live import Chunk

    return [
        Chunk.from_dict(json.loads(r["data"]))
        for r in store.query("SELECT data FROM live_chunks WHERE briefing_id = ? ORDER BY idx", (bid,))
    ]


def reset(store: Store, bid: str) -> None:
    """Forget the live transcript of a briefing (e.g. the model changed)."""
    with store.tx() as db:
        for t in ("live_runs", "live_sources", "live_chunks"):
            db.execute(f"DELETE FROM {t} WHERE briefing_id = ?", (bid,))


# -- one step -----------------------------------------------------------------------------------------
class Follower:
    """Follows the capture segments of one briefing. :meth:`step` does what is ready; :meth:`run` loops."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        bid: str,
        *,
        language: str | None = None,
        transcriber: Any = None,
        page: bool | None = None,
        on_chunk: Callable[[Any], None] | None = None,
    ) -> None:
        self.store, self.settings, self.bid = store, settings, bid
        b = store.briefing(bid)
        lang = language if language is not None else (None if b.language in ("", "auto") else b.language)
        self.language = speech.check_language(lang) if lang else None
        self.opts, self.live_opts, self.key = _options(settings, self.language)
        if transcriber is None:  # the engine of the briefing's language: viet-asr for Vietnamese by default
            transcriber, _, _ = speech.recognizer(settings, self.language)
        self.transcriber = transcriber
        self.page = LiveSettings.of(settings).page if page is None else page
        self.media = LiveSettings.of(settings).media
        self.on_chunk = on_chunk or (lambda c: None)
        self.cdir = workspace.capture_dir(settings, bid)
        self.lock = FileLock(workspace.live_lock_path(settings, bid))
        self._lt: Any = None
        self._nsrc = -1  # live_sources rows the cached transcriber has taken in
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    # state
    def _ensure_run(self) -> dict[str, Any]:
        row = run_row(self.store, self.bid)
        if row is not None and row["options_key"] != self.key and row["status"] == "running":
            reset(self.store, self.bid)  # made with other options or model: start again
            row = None
        if row is None:
            ts = now_iso()
            with self.store.tx() as db:
                db.execute(
                    "INSERT OR IGNORE INTO live_runs (briefing_id, status, language, options_key, "
                    "started_at, updated_at) VALUES (?, 'running', ?, ?, ?, ?)",
                    (self.bid, self.language, self.key, ts, ts),
                )
            row = run_row(self.store, self.bid)
        assert row is not None
        return row

    def _decode(self, path: Path) -> Any:
        import numpy as np

        from recorder import pcm
        from recorder.errors import RecorderError

        try:
            return np.frombuffer(pcm.decode_pcm(path), dtype=np.float32)
        except RecorderError:  # empty or damaged (a crash right at a segment start): the join skips it too
            return np.zeros(0, dtype=np.float32)

    def _transcriber_state(self, sources: list[dict[str, Any]]) -> Any:
        from transcribe.live import LiveTranscriber

        n = self.store.query("SELECT COUNT(*) AS n FROM live_chunks WHERE briefing_id = ?", (self.bid,))[0]["n"]
        if self._lt is not None and len(self._lt.chunks) == n and self._nsrc == len(sources):
            return self._lt  # nobody else stepped since: the one in memory is current
        lt = LiveTranscriber(
            self.transcriber,
            self.opts,
            self.live_opts,
            chunks=_chunks(self.store, self.bid),
            guards=speech.guard_options(self.settings),
        )
        self._lt, self._nsrc = lt, len(sources)
        for s in sources:  # audio received after the last chunk: decode it again
            if s["start_sample"] + s["samples"] > lt.cursor and s["samples"]:
                produced = lt.feed(self._decode(self.cdir / "segments" / s["name"]), start=s["start_sample"])
                self._store(produced, None, lt)
        return lt

    def _store(self, chunks: list[Any], source: dict[str, Any] | None, lt: Any) -> None:
        with self.store.tx() as db:
            if source is not None:
                db.execute(
                    "INSERT INTO live_sources (briefing_id, name, size, start_sample, samples) VALUES (?, ?, ?, ?, ?)",
                    (self.bid, source["name"], source["size"], source["start_sample"], source["samples"]),
                )
            for c in chunks:
                db.execute(
                    "INSERT OR REPLACE INTO live_chunks (briefing_id, idx, start_sample, end_sample, data) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (self.bid, c.index, c.start, c.end, json.dumps(c.to_dict(), ensure_ascii=False)),
                )
            info = {}
            if getattr(self.transcriber, "_model", None) is not None or getattr(self.transcriber, "loaded", False):
                d = self.transcriber.device_info()
                info = {"engine": self.transcriber.engine(), "device": d.device, "compute_type": d.compute_type}
            db.execute(
                "UPDATE live_runs SET samples = ?, updated_at = ?, "
                "info = CASE WHEN ? = '{}' THEN info ELSE ? END WHERE briefing_id = ?",
                (lt.total, now_iso(), json.dumps(info), json.dumps(info), self.bid),
            )
        self._nsrc += 1 if source is not None else 0
        for c in chunks:
            self.on_chunk(c)

    def capture_over(self) -> bool:
        """The capture has ended for good (stopped, or joined), not merely restarting."""
        from recorder import capture as rc

        if rc.running_pid(self.cdir) is not None:
            return False
        if (self.cdir / rc.STOP_NAME).exists() or rc.read_state(self.cdir).get("stopped_at"):
            return True
        rows = self.store.query(
            "SELECT status FROM recordings WHERE briefing_id = ? AND method = 'capture' ORDER BY id DESC LIMIT 1",
            (self.bid,),
        )
        return bool(rows) and rows[0]["status"] == "ingested"

    def step(self, *, final: bool = False, timeout: float = 0.0) -> bool:
        """Transcribe what is ready; with ``final`` every segment and the last chunk, then mark the run
        complete. Returns True when the run is complete. Does nothing when another holds the lock."""
        from recorder import capture as rc

        if not self.lock.acquire(timeout):
            return False
        try:
            row = self._ensure_run()
            if row["status"] == "complete":
                return True
            segs = rc.segments(self.cdir)
            running = rc.running_pid(self.cdir) is not None
            ready = segs if (final or not running) else segs[:-1]
            sources = _sources(self.store, self.bid)
            lt = self._transcriber_state(sources)
            known = {s["name"] for s in sources}
            end = max((s["start_sample"] + s["samples"] for s in sources), default=0)
            changed = took = False
            for p in ready:
                if p.name in known:
                    continue
                if self.stop_event.is_set() and not final:
                    break
                pcm = self._decode(p)
                src = {"name": p.name, "size": p.stat().st_size, "start_sample": end, "samples": len(pcm)}
                produced = lt.feed(pcm, start=end) if len(pcm) else []
                end += len(pcm)
                self._store(produced, src, lt)
                changed, took = changed or bool(produced), True
            if took or final:  # probe each finished segment once now, so the join at the end need not
                rc.usable_segments(ready, cache=self.cdir / rc.PROBED_NAME)
            if self.media:  # the web audio, encoded as the segments finish (MediaFollower)
                media_follower(self.settings, self.bid).step(ready, final=final)
            if final:
                produced = lt.finish()
                self._store(produced, None, lt)
                with self.store.tx() as db:
                    db.execute(
                        "UPDATE live_runs SET status = 'complete', completed_at = ?, updated_at = ? "
                        "WHERE briefing_id = ?",
                        (now_iso(), now_iso(), self.bid),
                    )
                changed = True
            if changed:
                self._write_outputs(ended=final)
            return final
        finally:
            self.lock.release()

    def transcript(self) -> Any:
        from transcribe.live import assemble

        row = run_row(self.store, self.bid) or {}
        info = row.get("info") or {}
        from transcribe.live import engine_options

        return assemble(
            _chunks(self.store, self.bid),
            duration=(row.get("samples") or 0) / SR,
            model=getattr(self.transcriber, "model_name", ""),
            engine=info.get("engine", ""),
            options=self.opts.to_dict()
            | {k: info[k] for k in ("device", "compute_type") if k in info}
            | engine_options(self.transcriber),
        )

    def _write_outputs(self, *, ended: bool) -> None:
        from transcribe import formats

        t = self.transcript()
        atomic_write_text(workspace.live_dir(self.settings, self.bid) / "transcript.json", formats.to_json(t))
        if self.page:
            from publish.live import write_live_page

            b = self.store.briefing(self.bid)
            with translated():
                write_live_page(
                    self.settings.site_dir,
                    briefing_id=self.bid,
                    title=b.title,
                    date=b.date,
                    transcript=t,
                    updated_at=now_iso(),
                    ended=ended,
                )

    # the loop
    def run(self, *, poll: float = 1.0) -> None:
        try:
            while not self.stop_event.is_set():
                over = self.capture_over()
                if self.step(final=over, timeout=poll):
                    return
                self.stop_event.wait(poll)
        except BaseException as exc:  # the capture goes on; the pipeline transcribes offline instead
            self.error = exc

    def start(self) -> Follower:
        self.thread = threading.Thread(target=self.run, name=f"live-{self.bid}", daemon=True)
        self.thread.start()
        return self

    def wait(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def stop(self) -> None:
        self.stop_event.set()
        self.wait()


def start_follower(store: Store, settings: Settings, bid: str, **kw: Any) -> Follower | None:
    """A follower thread for the capture of ``bid`` when ``live.enabled``; None otherwise."""
    if not LiveSettings.of(settings).enabled:
        return None
    return Follower(store, settings, bid, **kw).start()


def finish(
    store: Store, settings: Settings, bid: str, *, language: str | None = None, timeout: float | None = None
) -> bool:
    """Complete the live transcript of a briefing whose capture has ended (waits for a follower
    that holds the lock). True when it is complete."""
    f = Follower(store, settings, bid, language=language)
    return f.step(final=True, timeout=LiveSettings.of(settings).wait if timeout is None else timeout)


@dataclass(frozen=True)
class LiveStatus(Result):
    """How far the live transcript of a capture has got; :meth:`none` for a briefing without one."""

    briefing: str
    status: str  # none (no live transcript) | running | complete ...
    seconds: float | Absent = ABSENT  # of audio captured
    chunks: int | Absent = ABSENT
    transcribed_to: float | Absent = ABSENT  # seconds
    segments: int | Absent = ABSENT
    info: dict[str, Any] | Absent = ABSENT  # what the run recorded: device, compute_type, model ...
    page: str | None | Absent = ABSENT  # the live page, when live.page is on

    @classmethod
    def none(cls, bid: str) -> LiveStatus:
        return cls(bid, "none")

    @property
    def device(self) -> str | None:
        return self.info.get("device") if isinstance(self.info, dict) else None

    @property
    def compute_type(self) -> str | None:
        return self.info.get("compute_type") if isinstance(self.info, dict) else None

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        info = d.pop("info", {})
        if "page" in d:  # the run's info between the counts and the page, as `live status --json` has it
            page = d.pop("page")
            return {**d, **info, "page": page}
        return {**d, **info}


def status(store: Store, settings: Settings, bid: str) -> LiveStatus | None:
    row = run_row(store, bid)
    if row is None:
        return None
    chunks = _chunks(store, bid)
    return LiveStatus(
        bid,
        row["status"],
        round(row["samples"] / SR, 1),
        len(chunks),
        round(chunks[-1].end_s, 1) if chunks else 0.0,
        sum(len(c.segments) for c in chunks),
        dict(row["info"]),
        str(Path(settings.site_dir) / "live" / bid / "index.html") if LiveSettings.of(settings).page else None,
    )


# -- adoption by the transcribe stage -------------------------------------------------------------------
def adoptable(
    store: Store, settings: Settings, bid: str, *, source_sha: str, speech_path: Path, language: str | None
) -> tuple[Any, str] | None:
    """The complete live transcript of this briefing when it is of the same recording (the capture's
    joined file is the source; the same segments; the same duration; the same options and model);
    finishes it first when the capture has ended. Returns (Transcript, key) or None."""
    from recorder import capture as rc

    row = run_row(store, bid)
    if row is None:
        return None
    rec = store.query(
        "SELECT sha256 FROM recordings WHERE briefing_id = ? AND method = 'capture' "
        "AND status = 'ingested' ORDER BY id DESC LIMIT 1",
        (bid,),
    )
    if not rec or rec[0]["sha256"] != source_sha:
        return None
    f = Follower(store, settings, bid, language=language)
    if row["options_key"] != f.key:
        return None
    if row["status"] != "complete":
        if rc.running_pid(f.cdir) is not None:
            return None
        if not f.step(final=True, timeout=LiveSettings.of(settings).wait):
            return None
    sources = {s["name"]: s["size"] for s in _sources(store, bid)}
    on_disk = {p.name: p.stat().st_size for p in rc.segments(f.cdir)}
    if sources != on_disk:
        return None
    t = f.transcript()
    speech_seconds = max(Path(speech_path).stat().st_size - 44, 0) / (2 * SR)  # 16 kHz s16 mono WAV
    if abs(t.duration - speech_seconds) > max(2.0, 0.01 * speech_seconds):
        return None
    t = replace(t, duration=round(speech_seconds, 3))
    key = sha256_text(json.dumps([c.to_dict() for c in _chunks(store, bid)], ensure_ascii=False))
    return t, key


# -- the web audio, made while the capture records ---------------------------------------------------------
LEAD = 60.0  # seconds of audio the gain is chosen from
TOLERANCE = 0.5  # LU: the adopted output's integrated loudness is this close to the target
RESTART = 0.3  # dB: while capturing, encode again when the gain to the target moved this far
BITRATE = "128k"

state_path = workspace.live_media_state


def _rel_to(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when inside it (so that a moved home finds its own file), else absolute."""
    try:
        return Path(path).relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _options_key(target: Any) -> str:
    return sha256_text(json.dumps({"target": repr(target), "bitrate": BITRATE, "v": 1}))


class MediaFollower:
    """The progressive web audio of one briefing's capture (see the module docstring)."""

    def __init__(self, settings: Settings, bid: str) -> None:
        self.settings, self.bid = settings, bid
        self.target = media.loudnorm_target(settings)
        self.dest = workspace.live_audio(settings, bid)
        self.enc: Any = None
        self.pending: list[Path] = []
        self.pending_s = 0.0
        self.fed: list[tuple[str, int]] = []
        self.off = self.target is None  # no normalization: the web audio is a stream copy already
        self.done = False
        self.restarts = 0

    def _write(self, **info: Any) -> None:
        atomic_write_text(
            state_path(self.settings, self.bid),
            json.dumps({"segments": self.fed, "options_key": _options_key(self.target), **info}, indent=1),
        )

    def step(self, ready: list[Path], *, final: bool) -> None:
        if self.off or self.done:
            return
        try:
            self._step(ready, final)
        except Exception as exc:  # noqa: BLE001 - the video stage then makes the web audio itself
            log.warning("progressive web audio of %s given up: %s", self.bid, exc)
            self.off = True
            if self.enc is not None:
                self.enc.abort()
            self._write(status="failed", error=str(exc))

    def _step(self, ready: list[Path], final: bool) -> None:
        from recorder.probe import probe
        from recorder.progressive import ProgressiveAudio, gain_for

        known = {n for n, _ in self.fed} | {p.name for p in self.pending}
        new = [p for p in ready if p.name not in known]
        if self.enc is None:
            for p in new:
                self.pending.append(p)
                self.pending_s += probe(p).duration
            if self.pending and (self.pending_s >= LEAD or final):
                channels = probe(self.pending[0]).channels or 2
                self.enc = ProgressiveAudio.start(
                    self.dest, self.pending, self.target, channels=channels, bitrate=BITRATE
                )
                if self.enc is None:  # digital silence: nothing to normalize
                    self.off = True
                    return
                self.fed = [(p.name, p.stat().st_size) for p in self.pending]
                self.pending = []
                self._write(status="encoding", gain_db=self.enc.gain_db)
        else:
            for p in new:
                size = p.stat().st_size
                self.enc.feed(p)
                self.fed.append((p.name, size))
            now = self.enc.running()
            gain = gain_for(now, self.target) if now is not None else None
            if not final and gain is not None and abs(gain - self.enc.gain_db) > RESTART:
                self._restart(gain)  # the loudness so far moved away from the first minute's: start again
        if final and self.enc is not None:
            r = self.enc.finish()
            gain = gain_for(r.integrated, self.target)
            if (
                not r.within(self.target, TOLERANCE)
                and gain is not None
                and r.true_peak + gain <= self.target.true_peak
            ):
                self._restart(gain)  # the last segments moved it: once more with the exact gain
                r = self.enc.finish()
            self.done = True
            self._write(
                status="complete",
                restarts=self.restarts,
                gain_db=r.gain_db,
                integrated=r.integrated,
                true_peak=r.true_peak,
                path=_rel_to(r.path, workspace.live_dir(self.settings, self.bid)),
            )

    def _restart(self, gain: float) -> None:
        from recorder.progressive import ProgressiveAudio

        log.info("progressive web audio of %s: gain %.2f → %.2f dB, encoding again", self.bid, self.enc.gain_db, gain)
        self.enc.abort()
        self.restarts += 1
        channels, seg = self.enc.channels, rc_segment_dir(self.settings, self.bid)
        self.enc = ProgressiveAudio(
            self.dest, gain, channels=channels, bitrate=BITRATE, sample_rate=self.target.sample_rate
        )
        for name, _ in self.fed:
            self.enc.feed(seg / name)
        self._write(status="encoding", gain_db=gain, restarts=self.restarts)


def rc_segment_dir(settings: Settings, bid: str) -> Path:
    from recorder import capture as rc

    return rc.segment_dir(workspace.capture_dir(settings, bid))


_FOLLOWERS: dict[tuple[str, str], MediaFollower] = {}
_GUARD = threading.Lock()


def media_follower(settings: Settings, bid: str) -> MediaFollower:
    """The one media follower of ``bid`` in this process (every live Follower step shares it)."""
    k = (str(settings.workspace), bid)
    with _GUARD:
        if k not in _FOLLOWERS:
            _FOLLOWERS[k] = MediaFollower(settings, bid)
        return _FOLLOWERS[k]


def forget_media(settings: Settings, bid: str) -> None:
    with _GUARD:
        _FOLLOWERS.pop((str(settings.workspace), bid), None)


@dataclass(frozen=True)
class Adopted:
    path: Path  # the encoded stream (moov last): remux with recorder.progressive.faststart
    key: str  # for the stage's inputs key
    gain_db: float
    output_lufs: float


def _no(bid: str, why: str) -> Adopted | None:  # None: what the caller returns
    log.info("progressive web audio of %s not adopted: %s", bid, why)
    return None


def media_involved(settings: Settings, bid: str) -> bool:
    """Whether a live capture of this briefing made (or is making) its web audio."""
    return media.loudnorm_target(settings) is not None and (
        state_path(settings, bid).exists() or (str(settings.workspace), bid) in _FOLLOWERS
    )


def adoptable_media(
    store: Any, settings: Settings, bid: str, *, source_sha: str, source_duration: float
) -> Adopted | None:
    """The progressive web audio of this briefing when it may stand for the ordinary one; None otherwise.
    Finishes it first (under the live lock) when a follower of this process has fed all but the end."""
    from recorder import capture as rc
    from recorder.probe import probe
    from recorder.progressive import ProgressiveResult

    if not media_involved(settings, bid):
        return None
    target = media.loudnorm_target(settings)
    rec = store.query(
        "SELECT sha256 FROM recordings WHERE briefing_id = ? AND method = 'capture' "
        "AND status = 'ingested' ORDER BY id DESC LIMIT 1",
        (bid,),
    )
    if not rec or rec[0]["sha256"] != source_sha:
        return _no(bid, "the source is not the capture's joined recording")
    cdir = workspace.capture_dir(settings, bid)
    if rc.running_pid(cdir) is not None:
        return _no(bid, "the capture still runs")
    mf = _FOLLOWERS.get((str(settings.workspace), bid))
    if mf is not None and not mf.done and not mf.off:
        lock = FileLock(workspace.live_lock_path(settings, bid))
        if lock.acquire(LiveSettings.of(settings).wait):
            try:
                mf.step(rc.segments(cdir), final=True)
            finally:
                lock.release()
    try:
        st = json.loads(state_path(settings, bid).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _no(bid, "no state")
    if st.get("status") != "complete" or st.get("options_key") != _options_key(target):
        return _no(bid, f"not complete ({st.get('status')}, {st.get('error', '')}) or other options")
    on_disk = [[p.name, p.stat().st_size] for p in rc.segments(cdir)]
    if [list(s) for s in st["segments"]] != on_disk:
        return _no(bid, "other segments on disk")
    r = ProgressiveResult(
        workspace.live_dir(settings, bid) / st["path"],
        float(st["gain_db"]),
        float(st["integrated"]),
        float(st["true_peak"]),
    )  # relative to the live dir: a moved home uses its own file
    if not r.path.is_file() or not r.within(target, TOLERANCE):
        return _no(bid, f"off target (gain {r.gain_db} dB, {r.integrated} LUFS, peak {r.true_peak} dBFS)")
    try:
        d = probe(r.path).duration
    except Exception as exc:  # noqa: BLE001 - unreadable: make it the ordinary way
        return _no(bid, f"unreadable: {exc}")
    if abs(d - source_duration) > 0.5:
        return _no(bid, f"{d:.2f} s, the recording {source_duration:.2f} s")
    return Adopted(r.path, sha256_text(json.dumps(st, sort_keys=True)), r.gain_db, round(r.output_integrated, 2))
