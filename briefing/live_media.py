"""The web audio of a live capture, made while it records (recorder.progressive), adopted by the video stage.

- The live :class:`~briefing.live.Follower` hands every finished capture segment to :func:`step` (under the
  live lock). Once ``LEAD`` seconds are there, the gain to the loudness target (``media.loudness``) is
  chosen from them and one ffmpeg starts encoding; each later segment is fed to it as it finishes. At the
  end only the last segment remains: finishing takes about a second, whatever the length.
- ``live/media.json`` records the segments fed (names and sizes), the gain and the loudness of the whole
  stream. The pipeline's video stage (:func:`adoptable`) uses ``live/audio.stream.m4a`` only when it is of
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefing.config import Settings
from briefing.fsutil import atomic_write_text, sha256_text

LEAD = 60.0  # seconds of audio the gain is chosen from
TOLERANCE = 0.5  # LU: the adopted output's integrated loudness is this close to the target
RESTART = 0.3  # dB: while capturing, encode again when the gain to the target moved this far
BITRATE = "128k"

log = logging.getLogger(__name__)


def _dir(settings: Settings, bid: str) -> Path:
    return settings.workspace / bid / "live"


def state_path(settings: Settings, bid: str) -> Path:
    return _dir(settings, bid) / "media.json"


def _rel_to(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when inside it (so that a moved home finds its own file), else absolute."""
    try:
        return Path(path).relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _target(settings: Settings) -> Any:
    from briefing.recording import loudnorm_target

    return loudnorm_target(settings)


def _options_key(target: Any) -> str:
    return sha256_text(json.dumps({"target": repr(target), "bitrate": BITRATE, "v": 1}))


class MediaFollower:
    """The progressive web audio of one briefing's capture (see the module docstring)."""

    def __init__(self, settings: Settings, bid: str) -> None:
        self.settings, self.bid = settings, bid
        self.target = _target(settings)
        self.dest = _dir(settings, bid) / "audio.stream.m4a"
        self.enc: Any = None
        self.pending: list[Path] = []
        self.pending_s = 0.0
        self.fed: list[tuple[str, int]] = []
        self.off = self.target is None  # no normalization: the web audio is a stream copy already
        self.done = False
        self.restarts = 0

    def _write(self, **info: Any) -> None:
        atomic_write_text(state_path(self.settings, self.bid), json.dumps(
            {"segments": self.fed, "options_key": _options_key(self.target), **info}, indent=1))

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
                self.enc = ProgressiveAudio.start(self.dest, self.pending, self.target, channels=channels,
                                                  bitrate=BITRATE)
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
            if not r.within(self.target, TOLERANCE) and gain is not None and r.true_peak + gain <= self.target.true_peak:
                self._restart(gain)  # the last segments moved it: once more with the exact gain
                r = self.enc.finish()
            self.done = True
            self._write(status="complete", restarts=self.restarts, gain_db=r.gain_db, integrated=r.integrated,
                        true_peak=r.true_peak, path=_rel_to(r.path, _dir(self.settings, self.bid)))

    def _restart(self, gain: float) -> None:
        from recorder.progressive import ProgressiveAudio

        log.info("progressive web audio of %s: gain %.2f → %.2f dB, encoding again", self.bid, self.enc.gain_db,
                 gain)
        self.enc.abort()
        self.restarts += 1
        channels, seg = self.enc.channels, rc_segment_dir(self.settings, self.bid)
        self.enc = ProgressiveAudio(self.dest, gain, channels=channels, bitrate=BITRATE,
                                    sample_rate=self.target.sample_rate)
        for name, _ in self.fed:
            self.enc.feed(seg / name)
        self._write(status="encoding", gain_db=gain, restarts=self.restarts)


def rc_segment_dir(settings: Settings, bid: str) -> Path:
    from recorder import capture as rc

    return rc.segment_dir(settings.workspace / bid / "capture")


_FOLLOWERS: dict[tuple[str, str], MediaFollower] = {}
_GUARD = threading.Lock()


def follower(settings: Settings, bid: str) -> MediaFollower:
    """The one media follower of ``bid`` in this process (every live Follower step shares it)."""
    k = (str(settings.workspace), bid)
    with _GUARD:
        if k not in _FOLLOWERS:
            _FOLLOWERS[k] = MediaFollower(settings, bid)
        return _FOLLOWERS[k]


def forget(settings: Settings, bid: str) -> None:
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


def involved(settings: Settings, bid: str) -> bool:
    """Whether a live capture of this briefing made (or is making) its web audio."""
    return _target(settings) is not None and (state_path(settings, bid).exists()
                                              or (str(settings.workspace), bid) in _FOLLOWERS)


def adoptable(store: Any, settings: Settings, bid: str, *, source_sha: str, source_duration: float) -> Adopted | None:
    """The progressive web audio of this briefing when it may stand for the ordinary one; None otherwise.
    Finishes it first (under the live lock) when a follower of this process has fed all but the end."""
    from recorder import capture as rc
    from recorder.probe import probe
    from recorder.progressive import ProgressiveResult

    from briefing import live

    if not involved(settings, bid):
        return None
    target = _target(settings)
    rec = store.query("SELECT sha256 FROM recordings WHERE briefing_id = ? AND method = 'capture' "
                      "AND status = 'ingested' ORDER BY id DESC LIMIT 1", (bid,))
    if not rec or rec[0]["sha256"] != source_sha:
        return _no(bid, "the source is not the capture's joined recording")
    cdir = live.capture_dir(settings, bid)
    if rc.running_pid(cdir) is not None:
        return _no(bid, "the capture still runs")
    mf = _FOLLOWERS.get((str(settings.workspace), bid))
    if mf is not None and not mf.done and not mf.off:
        lock = live._Lock(live.live_dir(settings, bid) / "live.lock")
        if lock.acquire(float(settings["live.wait"])):
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
    r = ProgressiveResult(_dir(settings, bid) / st["path"], float(st["gain_db"]), float(st["integrated"]),
                          float(st["true_peak"]))  # relative to the live dir: a moved home uses its own file
    if not r.path.is_file() or not r.within(target, TOLERANCE):
        return _no(bid, f"off target (gain {r.gain_db} dB, {r.integrated} LUFS, peak {r.true_peak} dBFS)")
    try:
        d = probe(r.path).duration
    except Exception as exc:  # noqa: BLE001 - unreadable: make it the ordinary way
        return _no(bid, f"unreadable: {exc}")
    if abs(d - source_duration) > 0.5:
        return _no(bid, f"{d:.2f} s, the recording {source_duration:.2f} s")
    return Adopted(r.path, sha256_text(json.dumps(st, sort_keys=True)), r.gain_db, round(r.output_integrated, 2))
