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
  (:mod:`briefing.live_media`), which the video stage adopts in the same way.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

from briefing import config
from briefing.config import Setting, Settings
from briefing.errors import translated
from briefing.fsutil import atomic_write_text, sha256_text
from briefing.store import Store, now_iso

config.register(
    Setting("live.enabled", True, "Transcribe a live capture while it is recorded (publish within a minute "
                                  "of the end).", config.boolean),
    Setting("live.page", False, "Publish a live page (<site>/live/ID/, marked live, unverified) while the "
                                "briefing runs.", config.boolean),
    Setting("live.min_chunk", 20.0, "Seconds of audio before a live chunk may be cut at a pause.", float),
    Setting("live.max_chunk", 30.0, "Longest live chunk in seconds (cut at the longest short pause).", float),
    Setting("live.media", True, "Make the loudness-normalized web audio while a capture records (the video "
                                "stage adopts it when it matches the joined recording).", config.boolean),
    Setting("live.wait", 900.0, "Seconds the transcribe stage waits for a live transcriber to finish.", float),
)

SR = 16_000


def live_dir(settings: Settings, bid: str) -> Path:
    return settings.workspace / bid / "live"


def capture_dir(settings: Settings, bid: str) -> Path:
    return settings.workspace / bid / "capture"


def _guard_options(settings: Settings) -> Any:
    """The hallucination guards each live chunk passes (None when ``quality.guards`` is off)."""
    from transcribe.guards import GuardOptions

    return GuardOptions() if settings["quality.guards"] else None


def _options(settings: Settings, language: str | None) -> tuple[Any, Any, str]:
    """(TranscribeOptions, LiveOptions, key): the pipeline's options, so the result can be adopted."""
    from briefing import pipeline
    from transcribe.live import LiveOptions

    opts = pipeline.transcribe_options(settings, language)
    lo = LiveOptions(min_chunk=float(settings["live.min_chunk"]), max_chunk=float(settings["live.max_chunk"]))
    _, model_id = pipeline._model(settings)
    g = _guard_options(settings)
    return opts, lo, sha256_text(json.dumps({"opts": repr(opts), "model": model_id,
                                             "guards": g.key() if g is not None else None}))


class _Lock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, timeout: float) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.fd = fd
                return True
            except OSError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.2)

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


# -- store rows -------------------------------------------------------------------------------------
def run_row(store: Store, bid: str) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM live_runs WHERE briefing_id = ?", (bid,))
    if not rows:
        return None
    d = dict(rows[0])
    d["info"] = json.loads(d["info"] or "{}")
    return d


def _sources(store: Store, bid: str) -> list[dict[str, Any]]:
    return [dict(r) for r in store.query(
        "SELECT * FROM live_sources WHERE briefing_id = ? ORDER BY start_sample, name", (bid,))]


def _chunks(store: Store, bid: str) -> list[Any]:
    from transcribe.live import Chunk

    return [Chunk.from_dict(json.loads(r["data"])) for r in store.query(
        "SELECT data FROM live_chunks WHERE briefing_id = ? ORDER BY idx", (bid,))]


def reset(store: Store, bid: str) -> None:
    """Forget the live transcript of a briefing (e.g. the model changed)."""
    with store.tx() as db:
        for t in ("live_runs", "live_sources", "live_chunks"):
            db.execute(f"DELETE FROM {t} WHERE briefing_id = ?", (bid,))


# -- one step -----------------------------------------------------------------------------------------
class Follower:
    """Follows the capture segments of one briefing. :meth:`step` does what is ready; :meth:`run` loops."""

    def __init__(self, store: Store, settings: Settings, bid: str, *, language: str | None = None,
                 transcriber: Any = None, page: bool | None = None,
                 on_chunk: Callable[[Any], None] | None = None) -> None:
        from briefing import pipeline

        self.store, self.settings, self.bid = store, settings, bid
        b = store.briefing(bid)
        lang = language if language is not None else (None if b.language in ("", "auto") else b.language)
        self.language = pipeline.check_language(lang) if lang else None
        self.opts, self.live_opts, self.key = _options(settings, self.language)
        if transcriber is None:
            model_path, _ = pipeline._model(settings)
            transcriber = pipeline._transcriber(model_path, settings)
        self.transcriber = transcriber
        self.page = settings["live.page"] if page is None else page
        self.media = bool(settings["live.media"])
        self.on_chunk = on_chunk or (lambda c: None)
        self.cdir = capture_dir(settings, bid)
        self.lock = _Lock(live_dir(settings, bid) / "live.lock")
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
                db.execute("INSERT OR IGNORE INTO live_runs (briefing_id, status, language, options_key, "
                           "started_at, updated_at) VALUES (?, 'running', ?, ?, ?, ?)",
                           (self.bid, self.language, self.key, ts, ts))
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
        lt = LiveTranscriber(self.transcriber, self.opts, self.live_opts, chunks=_chunks(self.store, self.bid),
                             guards=_guard_options(self.settings))
        self._lt, self._nsrc = lt, len(sources)
        for s in sources:  # audio received after the last chunk: decode it again
            if s["start_sample"] + s["samples"] > lt.cursor and s["samples"]:
                produced = lt.feed(self._decode(self.cdir / "segments" / s["name"]), start=s["start_sample"])
                self._store(produced, None, lt)
        return lt

    def _store(self, chunks: list[Any], source: dict[str, Any] | None, lt: Any) -> None:
        with self.store.tx() as db:
            if source is not None:
                db.execute("INSERT INTO live_sources (briefing_id, name, size, start_sample, samples) "
                           "VALUES (?, ?, ?, ?, ?)", (self.bid, source["name"], source["size"],
                                                      source["start_sample"], source["samples"]))
            for c in chunks:
                db.execute("INSERT OR REPLACE INTO live_chunks (briefing_id, idx, start_sample, end_sample, data) "
                           "VALUES (?, ?, ?, ?, ?)", (self.bid, c.index, c.start, c.end,
                                                      json.dumps(c.to_dict(), ensure_ascii=False)))
            info = {}
            if getattr(self.transcriber, "_model", None) is not None:
                d = self.transcriber.device_info()
                info = {"engine": self.transcriber.engine(), "device": d.device, "compute_type": d.compute_type}
            db.execute("UPDATE live_runs SET samples = ?, updated_at = ?, "
                       "info = CASE WHEN ? = '{}' THEN info ELSE ? END WHERE briefing_id = ?",
                       (lt.total, now_iso(), json.dumps(info), json.dumps(info), self.bid))
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
        rows = self.store.query("SELECT status FROM recordings WHERE briefing_id = ? AND method = 'capture' "
                                "ORDER BY id DESC LIMIT 1", (self.bid,))
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
            if self.media:  # the web audio, encoded as the segments finish (briefing.live_media)
                from briefing import live_media

                live_media.follower(self.settings, self.bid).step(ready, final=final)
            if final:
                produced = lt.finish()
                self._store(produced, None, lt)
                with self.store.tx() as db:
                    db.execute("UPDATE live_runs SET status = 'complete', completed_at = ?, updated_at = ? "
                               "WHERE briefing_id = ?", (now_iso(), now_iso(), self.bid))
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
        return assemble(_chunks(self.store, self.bid), duration=(row.get("samples") or 0) / SR,
                        model=getattr(self.transcriber, "model_name", ""), engine=info.get("engine", ""),
                        options=self.opts.to_dict() | {k: info[k] for k in ("device", "compute_type") if k in info})

    def _write_outputs(self, *, ended: bool) -> None:
        from transcribe import formats

        t = self.transcript()
        atomic_write_text(live_dir(self.settings, self.bid) / "transcript.json", formats.to_json(t))
        if self.page:
            from publish.live import write_live_page

            b = self.store.briefing(self.bid)
            with translated():
                write_live_page(self.settings.site_dir, briefing_id=self.bid, title=b.title, date=b.date,
                                transcript=t, updated_at=now_iso(), ended=ended)

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

    def start(self) -> "Follower":
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
    if not settings["live.enabled"]:
        return None
    return Follower(store, settings, bid, **kw).start()


def finish(store: Store, settings: Settings, bid: str, *, language: str | None = None,
           timeout: float | None = None) -> bool:
    """Complete the live transcript of a briefing whose capture has ended (waits for a follower
    that holds the lock). True when it is complete."""
    f = Follower(store, settings, bid, language=language)
    return f.step(final=True, timeout=float(settings["live.wait"]) if timeout is None else timeout)


def status(store: Store, settings: Settings, bid: str) -> dict[str, Any] | None:
    row = run_row(store, bid)
    if row is None:
        return None
    chunks = _chunks(store, bid)
    return {"briefing": bid, "status": row["status"], "seconds": round(row["samples"] / SR, 1),
            "chunks": len(chunks), "transcribed_to": round(chunks[-1].end_s, 1) if chunks else 0.0,
            "segments": sum(len(c.segments) for c in chunks), **row["info"],
            "page": str(Path(settings.site_dir) / "live" / bid / "index.html") if settings["live.page"] else None}


# -- adoption by the transcribe stage -------------------------------------------------------------------
def adoptable(store: Store, settings: Settings, bid: str, *, source_sha: str, speech_path: Path,
              language: str | None) -> tuple[Any, str] | None:
    """The complete live transcript of this briefing when it is of the same recording (the capture's
    joined file is the source; the same segments; the same duration; the same options and model);
    finishes it first when the capture has ended. Returns (Transcript, key) or None."""
    from recorder import capture as rc

    row = run_row(store, bid)
    if row is None:
        return None
    rec = store.query("SELECT sha256 FROM recordings WHERE briefing_id = ? AND method = 'capture' "
                      "AND status = 'ingested' ORDER BY id DESC LIMIT 1", (bid,))
    if not rec or rec[0]["sha256"] != source_sha:
        return None
    f = Follower(store, settings, bid, language=language)
    if row["options_key"] != f.key:
        return None
    if row["status"] != "complete":
        if rc.running_pid(f.cdir) is not None:
            return None
        if not f.step(final=True, timeout=float(settings["live.wait"])):
            return None
    sources = {s["name"]: s["size"] for s in _sources(store, bid)}
    on_disk = {p.name: p.stat().st_size for p in rc.segments(f.cdir)}
    if sources != on_disk:
        return None
    t = f.transcript()
    speech_seconds = max(Path(speech_path).stat().st_size - 44, 0) / (2 * SR)  # 16 kHz s16 mono WAV
    if abs(t.duration - speech_seconds) > max(2.0, 0.01 * speech_seconds):
        return None
    from dataclasses import replace

    t = replace(t, duration=round(speech_seconds, 3))
    key = sha256_text(json.dumps([c.to_dict() for c in _chunks(store, bid)], ensure_ascii=False))
    return t, key
