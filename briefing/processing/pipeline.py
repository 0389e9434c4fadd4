"""The stages of one briefing, run in order, each recorded in the store.

    ingest ──► audio ──► transcribe ──► summarize ──► publish
        └────► video ─────────────────────────────────┘      (video runs beside transcribe)

A stage reads its inputs from files, writes its outputs atomically, and records in the store that it
finished and from which inputs (a key over content hashes, tool versions and options). Running a stage
again with the same inputs does nothing; ``force`` redoes it.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from briefing.core import config, errors, locks, text, workspace
from briefing.core.config import BriefingSettings, Setting, Settings, SiteSettings, day
from briefing.core.errors import BriefingError, ConfigError, InputError, StageFailed
from briefing.core.faults import checkpoint, fault_point
from briefing.core.fsutil import atomic_copy, atomic_write_text, sha256_text
from briefing.core.ids import briefing_id
from briefing.core.results import ABSENT, Absent, Result, optional
from briefing.core.store import Artifact, Briefing, Store, now_iso
from briefing.press import distribute, embargo
from briefing.processing import corrections, live, media, review, speech
from briefing.processing.speech import QualitySettings
from briefing.records import search
from publish.files import sha256_file

STAGES = ("ingest", "audio", "video", "transcribe", "translate", "summarize", "redact", "publish")
PIPELINE_VERSION = 1
log = logging.getLogger(__name__)

config.register(
    Setting("translate.enabled", "auto", "English machine-translation track: auto (for non-English briefings), off."),
    Setting(
        "redact.enabled", True, "Redact personal data from what is published (the archive keeps it).", config.boolean
    ),
    Setting(
        "redact.country",
        "vn",
        "Which country's patterns to use (vn, us), or none for emails only; add your own in [redact.patterns].",
    ),
)


class TranslateSettings(config.Area, area="translate"):
    enabled: str


class RedactSettings(config.Area, area="redact"):
    enabled: bool
    country: str


class SummarySettings(config.Area, area="summary"):
    sentences: int


class Reporter(Protocol):
    def stage(self, name: str, status: str, detail: str = "") -> None: ...

    def progress(self, done: float, total: float) -> None: ...


class SilentReporter:
    def stage(self, name: str, status: str, detail: str = "") -> None:
        pass

    def progress(self, done: float, total: float) -> None:
        pass


@dataclass
class ProcessResult:
    briefing: Briefing
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    page: Path | None = None
    seconds: float = 0.0
    distribution: distribute.Report | HeldRelease | None = None  # targets, channels, email; or the hold

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.briefing.id,
            "title": self.briefing.title,
            "date": self.briefing.date,
            "language": self.briefing.language,
            "ran": self.ran,
            "skipped": self.skipped,
            "page": str(self.page) if self.page else None,
            "seconds": round(self.seconds, 2),
            "distribution": self.distribution.to_dict() if self.distribution else None,
        }


def _key(parts: dict[str, Any]) -> str:
    return sha256_text(json.dumps(parts, sort_keys=True, default=str))


def artifact(role: str, path: Path, sha: str | None = None) -> Artifact:
    return Artifact(role=role, path=str(path), sha256=sha or sha256_file(path), size=path.stat().st_size)


def _not_needed(info: dict[str, Any]) -> str:
    """ "not needed: REASON" for a stage recorded as done with nothing to make (info "skipped": REASON)."""
    reason = info.get("skipped")
    return f"not needed: {reason}" if isinstance(reason, str) and reason else ""


class Runner:
    """Runs the stages of one briefing."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        briefing: Briefing,
        *,
        force: bool = False,
        reporter: Reporter | None = None,
        engine: Callable[[Any, Settings], Any] | None = None,
        media: Callable[[Path, Path, Any], dict[str, Path]] | None = None,
        speech_audio: Callable[[Path, Path], Path] | None = None,
    ) -> None:
        self.store = store
        # the transcriber for a model: this process's (speech.transcriber), or one that runs on the cluster
        self.engine = engine or speech.transcriber
        self.remote = engine is not None
        self.media = media  # makes the web media (source, directory, options) -> {role: path} elsewhere (cluster)
        self.speech_audio = speech_audio  # extracts the speech track (source, dest) -> dest elsewhere (cluster)
        self.settings = settings
        self.briefing = briefing
        self.force = force
        self.reporter = reporter or SilentReporter()
        self.ran: list[str] = []
        self.skipped: list[str] = []
        self.dir = workspace.briefing_dir(settings, briefing.id)

    # -- the stage runner -------------------------------------------------------------------------
    def _intact(self, stage: str) -> bool:
        for a in self.store.artifacts(self.briefing.id, stage).values():
            p = Path(a.path)
            if not p.exists() or p.stat().st_size != a.size:
                return False
        return True

    def run(
        self,
        stage: str,
        key_parts: dict[str, Any],
        fn: Callable[[], tuple[list[Artifact], dict[str, Any]]],
        *,
        same: tuple[Callable[[], dict[str, Any]], Callable[[dict[str, Any]], bool]] | None = None,
    ) -> dict[str, Any]:
        """Run ``fn`` unless the stage is done from the same inputs. ``same``: (other key parts, made
        when needed; a test of the finished run's info): inputs that are the same when the test passes
        (a transcription with the language detected is the one asked for in the language it found)."""
        bid = self.briefing.id
        key = _key({"stage": stage, "pipeline": PIPELINE_VERSION, **key_parts})
        prev = self.store.stage(bid, stage)
        if not self.force and prev is not None and prev.status == "done" and prev.inputs_key != key and same:
            other = _key({"stage": stage, "pipeline": PIPELINE_VERSION, **same[0]()})
            if prev.inputs_key == other and same[1](prev.info):
                key = other
        if (
            not self.force
            and prev is not None
            and prev.status == "done"
            and prev.inputs_key == key
            and self._intact(stage)
        ):
            self.skipped.append(stage)
            self.reporter.stage(stage, "skipped", _not_needed(prev.info))
            return prev.info
        self.reporter.stage(stage, "start")
        self.store.stage_started(bid, stage, key)
        checkpoint(f"stage:{stage}")  # tests hold the run here (BRIEFING_TEST_PAUSE_AT=stage:NAME)
        t0 = time.perf_counter()
        try:
            with errors.translated(places=(self.settings.workspace, self.settings.site_dir)):
                arts, info = fn()
        except KeyboardInterrupt:
            self.store.stage_failed(bid, stage, "interrupted (run the same command again to finish)")
            self.reporter.stage(stage, "failed", "interrupted")
            raise
        except BriefingError as exc:
            self.store.stage_failed(bid, stage, str(exc))
            self.reporter.stage(stage, "failed", str(exc))
            raise
        except Exception as exc:
            self.store.stage_failed(bid, stage, f"{type(exc).__name__}: {exc}")
            self.reporter.stage(stage, "failed", str(exc))
            raise
        info = {**info, "seconds": round(time.perf_counter() - t0, 3)}
        self.store.stage_done(bid, stage, key, arts, info)
        fault_point(f"after:{stage}")
        self.ran.append(stage)
        if _not_needed(info):  # done with nothing to make (translate of an English briefing): say why
            self.reporter.stage(stage, "skipped", _not_needed(info))
        else:
            self.reporter.stage(stage, "done", f"{info['seconds']:.1f}s")
        return info

    def art(self, role: str) -> Artifact:
        arts = self.store.artifacts(self.briefing.id)
        if role not in arts:
            raise StageFailed(
                role, f"briefing {self.briefing.id} has no {role} yet", hint="run `briefing process` for it first"
            )
        return arts[role]

    def path(self, role: str) -> Path:
        return Path(self.art(role).path)

    # -- the stages ---------------------------------------------------------------------------------
    def ingest(self, source: Path, source_sha: str) -> None:
        dest = workspace.source(self.settings, self.briefing.id, source.suffix)

        def work() -> tuple[list[Artifact], dict[str, Any]]:
            if dest.parent.exists():
                for old in dest.parent.iterdir():
                    if old != dest:
                        old.unlink()
            atomic_copy(source, dest)
            got = sha256_file(dest)
            if got != source_sha:
                dest.unlink()
                raise InputError(
                    f"{source} changed while it was being copied in",
                    hint="wait until the recording is complete, then run again",
                )
            return [artifact("source", dest, got)], {"name": source.name}

        self.run("ingest", {"source": source_sha, "name": source.suffix.lower()}, work)

    def audio(self) -> None:
        from recorder import ffmpeg as rff
        from recorder import normalize as rn

        src = self.art("source")
        dest = workspace.media_dir(self.settings, self.briefing.id) / "speech.wav"

        def work() -> tuple[list[Artifact], dict[str, Any]]:
            if self.speech_audio is not None:  # extracted on the cluster: the same bytes (bit-exact)
                dest.parent.mkdir(parents=True, exist_ok=True)
                self.speech_audio(Path(src.path), dest)
            else:
                rn.extract_speech_audio(Path(src.path), dest)
            return [artifact("speech", dest)], {}

        self.run("audio", {"source": src.sha256, "ffmpeg": rff.version()}, work)

    def video(self) -> None:
        from recorder import ffmpeg as rff
        from recorder import normalize as rn
        from recorder import probe as rp

        src = self.art("source")

        # The web media is made beside recognition on the same cores, at nice 10: a small share of them,
        # enough to finish with recognition. On idle cycles only (SCHED_IDLE) it had most of its encoding
        # left when recognition ended, on one core. 10-minute process on 2 cores, alternating runs:
        # median 48.0 s at nice 10 (4 runs), 51.9 s on idle cycles (7), 50.5 s at nice 5 (7), 50.2 s at
        # nice 0 (3). (Before the heap fix, when recognition took longer, idle cycles measured better:
        # 64.3 s against 69.0 s at nice 10.)
        opts = media.normalize_options(self.settings, nice=10)
        media_out = workspace.media_dir(self.settings, self.briefing.id)

        with errors.translated():
            info = rp.probe(Path(src.path))
        have = self.store.artifacts(self.briefing.id)  # its length: the decoded speech (16 kHz s16 mono WAV)
        seconds = (Path(have["speech"].path).stat().st_size - 44) / 32_000 if "speech" in have else info.duration
        live_audio = live.adoptable_media(
            self.store, self.settings, self.briefing.id, source_sha=src.sha256, source_duration=seconds
        )

        def work() -> tuple[list[Artifact], dict[str, Any]]:
            for stale in ("video.mp4", "poster.jpg"):
                (media_out / stale).unlink(missing_ok=True)
            if self.media is not None and live_audio is None:  # made on the cluster, the same files
                media_out.mkdir(parents=True, exist_ok=True)
                got = self.media(Path(src.path), media_out, opts)
                made = [artifact("audio", got["audio"])]
                if "video" in got:
                    made += [artifact("video", got["video"]), artifact("poster", got["poster"])]
                return made, {"duration": info.duration, "has_video": info.has_video, "live": False}
            # the poster first: it needs only the picture, and the encoding of the sound ends with recognition
            poster = rn.make_poster(Path(src.path), media_out / "poster.jpg", info, opts) if info.has_video else None
            if live_audio is not None:  # measured and encoded during the capture: only a remux is left
                from recorder.progressive import faststart

                audio = faststart(live_audio.path, media_out / "audio.m4a")
            else:
                audio = rn.make_web_audio(Path(src.path), media_out / "audio.m4a", opts, info=info)
            arts = [artifact("audio", audio)]
            if poster is not None:  # the sound is measured and encoded once, then copied in beside the picture
                arts.append(
                    artifact(
                        "video",
                        rn.make_web_video(Path(src.path), media_out / "video.mp4", info, opts, audio_from=audio),
                    )
                )
                arts.append(artifact("poster", poster))
            return arts, {
                "duration": info.duration,
                "has_video": info.has_video,
                "live": live_audio is not None,
                **({"gain_db": live_audio.gain_db, "lufs": live_audio.output_lufs} if live_audio else {}),
            }

        self.run(
            "video",
            {
                "source": src.sha256,
                "ffmpeg": rff.version(),
                "opts": repr(opts),
                "v": 2,
                **({"live": live_audio.key} if live_audio else {}),
            },
            work,
        )

    def preload_model(self, language: str | None, seconds: float) -> None:
        """Load the speech model in the background, for a source of ``seconds``, while the speech is
        extracted (~1 s for 10 minutes, and as long again to load the model: they overlap). Not when the
        transcription is already done, nor when a live transcript of this briefing may be adopted. A
        failure is left to the transcription stage, which loads the model itself and reports it."""
        prev = self.store.stage(self.briefing.id, "transcribe")
        if (
            self.remote
            or (not self.force and prev is not None and prev.status == "done")
            or live.run_row(self.store, self.briefing.id) is not None
        ):
            return

        def load() -> None:
            try:
                engine, _, _ = speech.recognizer(self.settings, language)
                engine.preload(seconds, speech.transcribe_options(self.settings, language))
            except Exception:  # noqa: BLE001 - the transcription stage meets it again and says what is wrong
                log.debug("speech model not preloaded", exc_info=True)

        threading.Thread(target=load, name="whisper-preload", daemon=True).start()

    def transcribe(self, language: str | None) -> None:
        from transcribe import formats

        speech_art = self.art("speech")
        if language is None:  # detected: by Whisper, unless another engine is configured for what it finds
            language = speech.detect_for_engine(self.settings, Path(speech_art.path))
        engine, model_id, engine_version = speech.recognizer(self.settings, language)  # by language
        opts = speech.transcribe_options(self.settings, language)
        out = workspace.transcript_dir(self.settings, self.briefing.id)
        # a live transcript of the same capture is adopted: only its last chunk was left

        adopted = live.adoptable(
            self.store,
            self.settings,
            self.briefing.id,
            source_sha=self.art("source").sha256,
            speech_path=Path(speech_art.path),
            language=language,
        )

        def work() -> tuple[list[Artifact], dict[str, Any]]:
            if adopted is not None:
                t = adopted[0]
            else:
                # on the cluster, the workers choose the same engine for the language from the same settings
                recognizer = self.engine(None, self.settings) if self.remote else engine
                t = recognizer.transcribe(Path(speech_art.path), opts, progress=self.reporter.progress)
            t, checks = speech.postprocess(self.settings, t, Path(speech_art.path))  # guards, glossary
            if adopted is not None:  # what the guards removed from each live chunk as it came
                checks["guards"] = list((t.options.get("live") or {}).get("guarded", ())) + checks.get("guards", [])
            files = {
                "json": formats.to_json(t),
                "srt": formats.to_srt(t),
                "vtt": formats.to_vtt(t),
                "txt": formats.to_txt(t),
            }
            arts = []
            for ext, body in files.items():
                p = atomic_write_text(out / f"transcript.{ext}", body)
                arts.append(artifact(ext, p))
            if self.briefing.language != t.language:
                self.store.set_language(self.briefing.id, t.language)
            return arts, {
                "language": t.language,
                "segments": len(t.segments),
                "engine": t.engine,
                "model": t.model,
                "duration": t.duration,
                "confidence": round(t.confidence, 3),
                "device": t.options.get("device"),
                "compute_type": t.options.get("compute_type"),
                "live": adopted is not None,
                "quality": checks,
            }

        parts = {
            "speech": speech_art.sha256,
            "model": model_id,
            "opts": repr(opts),
            "engine": engine_version,
            "live": adopted[1] if adopted else None,
            "quality": speech.postprocess_key(self.settings),
        }

        def detected() -> dict[str, Any]:  # the key of the same transcription with the language detected
            auto = (
                None
                if adopted is not None
                else live.adoptable(
                    self.store,
                    self.settings,
                    self.briefing.id,
                    source_sha=self.art("source").sha256,
                    speech_path=Path(speech_art.path),
                    language=None,
                )
            )
            return {
                **parts,
                "opts": repr(speech.transcribe_options(self.settings, None)),
                "live": auto[1] if auto else parts["live"],
            }

        # A rerun asks for the language the first run detected (it is the briefing's language now): the
        # transcription is the same when that run found this language.
        same = (detected, lambda info: info.get("language") == language) if language is not None else None
        self.run("transcribe", parts, work, same=same)
        self.briefing = self.store.briefing(self.briefing.id)

    def translate(self) -> None:
        _translate(self)  # an English track for a non-English briefing

    def redact(self) -> None:
        _redact(self)  # speaker labels, personal data out of what is published

    def summarize(self) -> None:
        from transcribe import formats, summary

        tj = self.art("json")
        n = SummarySettings.of(self.settings).sentences
        out = workspace.summary_dir(self.settings, self.briefing.id)

        def work() -> tuple[list[Artifact], dict[str, Any]]:
            t = formats.from_json(Path(tj.path).read_text(encoding="utf-8"))
            s = summary.summarize(t, max_sentences=n)
            figures = summary.key_figures(t)
            s = type(s)(language=s.language, sentences=s.sentences, key_figures=figures, no_speech=s.no_speech)
            pj = atomic_write_text(out / "summary.json", json.dumps(s.to_dict(), ensure_ascii=False, indent=2))
            pm = atomic_write_text(out / "summary.md", summary_markdown(self.briefing, s))
            return [artifact("summary_json", pj), artifact("summary", pm)], {
                "sentences": len(s.sentences),
                "key_figures": len(s.key_figures),
                "no_speech": s.no_speech,
            }

        self.run("summarize", {"transcript": tj.sha256, "n": n, "version": 1}, work)

    def publish(self, *, note: str | None = None, into: Path | None = None) -> Path:
        """Publish what the briefing's artifacts hold now.

               ``into``: build the version that would be published (numbered against the public site, signed)
               in that private directory instead, recording nothing: what an embargo holds (:func:`hold_release`).
        The site's version is the record: with nothing
               changed since it, the same version (its latest page rendered again when the site's options
               changed; ``v<N>/`` is never rebuilt); with a change, version N+1 with ``note`` (or the note of the
               correction being published, or one that says what changed). ``note`` with nothing changed is
               refused. The new version is built and signed beside the live one and switched in as one step; the
               store records it after the switch, so a re-run after a crash at any point finishes the work."""
        from publish import site
        from publish.types import Release
        from transcribe import formats
        from transcribe.types import Summary

        b = self.store.briefing(self.briefing.id)
        arts = release_artifacts(self.store, b.id, self.store.artifacts(b.id))  # redacted copies
        tracks = extra_tracks(arts)
        roles = ["video", "audio", "poster", "srt", "vtt", "txt", "json", "summary"]
        files = {r: Path(arts[r].path) for r in roles if r in arts}
        for need in ("audio", "vtt", "json", "summary"):
            if need not in files:
                raise StageFailed(
                    "publish", f"briefing {b.id} is missing its {need} file", hint="run `briefing process` for it again"
                )
        distribute.check_base_url(self.settings)  # before anything is published: a target needs site.base_url
        options = site_options(self.settings)
        site_dir = self.settings.site_dir  # the public site: what readers have, where versions are counted
        out_dir = into if into is not None else site_dir
        page = out_dir / "briefings" / b.id / "index.html"
        t = formats.from_json(files["json"].read_text(encoding="utf-8"))
        s = Summary.from_dict(json.loads(Path(arts["summary_json"].path).read_text(encoding="utf-8")))

        def release(version: int, published_at: str, corrections: list[dict[str, Any]]) -> Any:
            from publish.types import Correction

            return Release(
                id=b.id,
                title=b.title,
                date=b.date,
                language=t.language or b.language,
                speakers=tuple(b.speakers),
                transcript=t,
                summary=s,
                files=files,
                duration=t.duration,
                version=version,
                published_at=published_at,
                corrections=tuple(Correction(**c) for c in corrections),
                extra_tracks=tracks,
            )

        live = site.published_metadata(site_dir, b.id)  # what readers have now
        marker = b.meta.get("publishing") or None  # a new version begun and not yet recorded
        note = " ".join((note or "").split()) or None
        if not live:
            version, published_at, corrections = 1, (marker or {}).get("date") or now_iso(), []
            if marker is None and into is None:
                self.store.update_meta(b.id, publishing={"version": 1, "note": None, "date": published_at})
        else:
            have = int(live.get("version", 1))
            corrections = [dict(c) for c in live.get("corrections", [])]
            with errors.translated():
                changed = site.changes(
                    live,
                    site.release_metadata(release(have, live.get("published_at", ""), corrections)),
                    ignore=("version", "published_at", "updated_at", "corrections"),
                )
            finishing = marker is not None and int(marker.get("version", 0)) == have  # switched, not recorded
            same_note = bool(corrections) and note == " ".join(str(corrections[-1].get("note", "")).split())
            if not changed:
                if note and not finishing and not same_note:  # (the same note again: a re-run, to finish)
                    raise InputError(
                        f"nothing changed in briefing {b.id} since version {have}, so there is no "
                        f"new version to publish",
                        hint=f"correct it first (`briefing correct {b.id}`), or publish without --note",
                    )
                version, published_at = have, live.get("published_at", "")
            else:
                version = have + 1
                same = marker is not None and int(marker.get("version", 0)) == version
                why = note or ((marker or {}).get("note") if same else None) or describe_changes(changed, live)
                published_at = (marker or {}).get("date") if same and (marker or {}).get("date") else now_iso()
                if (not same or (marker or {}).get("note") != why) and into is None:
                    self.store.update_meta(b.id, publishing={"version": version, "note": why, "date": published_at})
                corrections.append({"date": published_at, "note": why, "version": version})
        key = {
            "files": {r: arts[r].sha256 for r in files},
            "title": b.title,
            "date": b.date,
            "speakers": b.speakers,
            "language": b.language,
            "site": repr(options),
            "site_dir": str(site_dir),
            "version": version,
            "corrections": corrections,
            "summary_json": arts["summary_json"].sha256 if "summary_json" in arts else None,
            "tracks": [(lang, label, sha256_file(p)) for lang, label, p in tracks],
        }

        # the signing writes the public key beside the release: into the private directory when held
        signer = (
            self.settings
            if into is None
            else replace(
                self.settings,
                values={**self.settings.values, "site.dir": str(out_dir)},
                sources=dict(self.settings.sources),
            )
        )

        def work() -> tuple[list[Artifact], dict[str, Any]]:
            rel = release(version, published_at, corrections)
            result = site.publish_release(
                out_dir,
                rel,
                options,
                finalize=lambda d: distribute.sign_release(signer, b.id, d),
                on_step=lambda step: fault_point(f"publish:{step}"),
                pack_key=distribute.signing_key(self.settings),
            )
            for warning in result.warnings:  # said once per run, not once per briefing
                if warning not in _WARNED:
                    _WARNED.add(warning)
                    self.reporter.stage("site", "warning", warning)
            if into is not None:  # held: nothing is recorded, nothing public changed
                return [], {"version": version, "page": str(result.page)}
            # switched in: now the store records it (a crash before this is finished by the next run)
            self.store.update_meta(
                b.id,
                corrections=corrections,
                publishing=None,
                search_stale=True,
                published_source=b.source_sha256 or None,
            )
            distribute.record_site(self.store, self.settings, b.id)
            page_path = Path(result.page)
            return [artifact("page", page_path)], {"version": version, "page": str(page_path), "site": str(site_dir)}

        if into is not None:
            return Path(work()[1]["page"])
        info = self.run("publish", key, work)
        now = self.store.briefing(b.id).meta
        if "publish" in self.ran or now.get("search_stale"):  # a new release: index it, refresh the search page
            search.after_publish(self.store, self.settings, b.id)
            self.store.update_meta(b.id, search_stale=None)
        if "publish" not in self.ran and now.get("publishing"):  # done before: nothing was left to switch in
            self.store.update_meta(b.id, publishing=None)
        return Path(info.get("page", page))


def describe_changes(changed: list[str], live: dict[str, Any]) -> str:
    """A change note for a new version published without one: what differs from the version before."""
    parts: list[str] = []
    tracks = [c.split(":", 2)[2] for c in changed if c.startswith("files:track:")]
    old_tracks = {k.split(":", 1)[1] for k in (live.get("files") or {}) if k.startswith("track:")}
    for lang in tracks:
        name = {"en": "English", "vi": "Vietnamese"}.get(lang, lang)
        parts.append(f"{name} machine translation " + ("updated" if lang in old_tracks else "added"))
    if any(c in changed for c in ("files:video", "files:audio", "files:poster", "media_kind", "duration")):
        parts.append("media replaced")
    if any(c in changed for c in ("files:json", "files:srt", "files:vtt", "files:txt", "transcript")):
        parts.append("transcript updated")
    if (
        any(c in changed for c in ("files:summary", "summary", "key_figures", "headline"))
        and "transcript updated" not in parts
    ):
        parts.append("summary updated")
    for field_name in ("title", "date", "speakers", "language"):
        if field_name in changed:
            parts.append(f"{field_name} changed")
    text = "; ".join(parts) or "republished with changes"
    return text[0].upper() + text[1:] + "."


def site_options(settings: Settings) -> Any:
    from publish.types import SiteOptions

    site = SiteSettings.of(settings)
    feeds = distribute.FeedSettings.of(settings)
    return SiteOptions(
        title=site.title,
        base_url=site.base_url,
        language=site.language,
        extra={"signing_key_fingerprint": distribute.key_fingerprint(settings)},
        feed_size=max(1, feeds.feed_size),
        data_license=feeds.data_license,
    )


_WARNED: set[str] = set()  # the site's warnings already shown in this process


def summary_markdown(b: Briefing, s: Any) -> str:
    """summary.md: the release written as Markdown (publish.md; rendered with the markdown package on the
    page and in the press email)."""
    from publish import md

    return md.summary_markdown(
        title=b.title, date=b.date, speakers=b.speakers, summary=s.to_dict(), language=s.language or b.language or "en"
    )


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# -- model handling: loaded once per process ------------------------------------------------------


# -- entry points used by the CLI -------------------------------------------------------------------
def _default_date(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime).date().isoformat()


def published_source(store: Store, settings: Settings, bid: str) -> str | None:
    """The SHA-256 of the recording the site's version of the briefing was made from (None when the site
    holds no version of it)."""
    from publish.site import published_metadata

    existing = store.find_briefing(bid)
    if existing is None or not published_metadata(settings.site_dir, bid):
        return None
    return existing.meta.get("published_source") or existing.source_sha256 or None


class Registered(NamedTuple):
    briefing: Briefing
    sha256: str  # of the recording
    seconds: float  # its length
    published_source: str | None  # the SHA-256 of the recording the site's version was made from


def register(
    store: Store,
    settings: Settings,
    path: Path,
    *,
    title: str | None = None,
    date: str | None = None,
    language: str | None = None,
    speakers: tuple[str, ...] = (),
    bid: str | None = None,
    force: bool = False,
    hold: Callable[[str], None] | None = None,
) -> Registered:
    """Check the recording and register (or update) its briefing. Returns it, the source hash, the
    recording's length in seconds and the hash of the recording its published version was made from.

    ``bid`` names an existing (scheduled) briefing instead of deriving the id from date and title. A
    recording other than the one a published briefing of that id was made from is refused, unless
    ``force``: it is then published as the next version, with a change note. ``hold(id)`` is called once
    the recording is checked, before the briefing is saved (to lock it)."""
    from recorder import probe as rp

    title = text.check(title or BriefingSettings.of(settings).title, "the title")  # before anything is done with it
    speakers = tuple(text.check(s, f"the speaker name {i}", max_len=text.NAME_MAX) for i, s in enumerate(speakers, 1))
    lang = speech.check_language(language or BriefingSettings.of(settings).language)
    path = Path(path)
    with errors.translated():
        info = rp.probe(path)
    if not info.has_audio:  # the probe raises for this already; kept as a guard
        raise InputError(f"{path} has no audio track", hint="a briefing needs sound; check the recording")
    when = day(date) if date else _default_date(path)
    bid = bid or briefing_id(when, title)
    if hold is not None:
        hold(bid)
    sha = sha256_file(path)
    before = published_source(store, settings, bid)
    if before and before != sha and not force:
        raise InputError(
            f"briefing {bid} is already published from another recording (SHA-256 {before}); this one is SHA-256 {sha}",
            hint="give it a different --title or --date, or pass --force to publish it as the "
            "next version with a change note (the published version stays as it was)",
        )
    existing = store.find_briefing(bid)
    b = Briefing(
        id=bid,
        title=title,
        date=when,
        language=lang or (existing.language if existing else "auto"),
        speakers=tuple(speakers) or (existing.speakers if existing else ()),
        source_path=str(path.resolve()),
        source_sha256=sha,
        meta={**(existing.meta if existing else {}), **({"published_source": before} if before else {})},
        created_at=existing.created_at if existing else "",
    )
    return Registered(store.save_briefing(b), sha, info.duration, before)


def process(
    store: Store,
    settings: Settings,
    path: Path,
    *,
    title: str | None = None,
    date: str | None = None,
    language: str | None = None,
    speakers: tuple[str, ...] = (),
    force: bool = False,
    reporter: Reporter | None = None,
    bid: str | None = None,
    embargo_until: str | None = None,
    engine: Callable[[Any, Settings], Any] | None = None,
    media: Callable[[Path, Path, Any], dict[str, Path]] | None = None,
    speech_audio: Callable[[Path, Path], Path] | None = None,
) -> ProcessResult:
    """Process a recording end to end. ``embargo_until``: publish it under embargo (the press email now,
    marked; the page, feeds, index, search and targets at that time: :func:`hold_release`). ``engine``: the
    transcriber for a model instead of this process's, ``media``: what makes the web media instead of this
    process (the cluster's), ``speech_audio``: what extracts the speech track instead of this process (the
    cluster's); the stages, their keys and artifacts are the same."""
    import contextlib

    until = embargo.parse_time(embargo_until) if embargo_until else None
    with contextlib.ExitStack() as held:  # one process per briefing: locked once its id is known
        return _process(
            store,
            settings,
            path,
            title=title,
            date=date,
            language=language,
            speakers=speakers,
            force=force,
            reporter=reporter,
            bid=bid,
            until=until,
            engine=engine,
            media=media,
            speech_audio=speech_audio,
            hold=lambda bid_: held.enter_context(locks.briefing_lock(settings, bid_)),
        )


def _process(
    store: Store,
    settings: Settings,
    path: Path,
    *,
    title: str | None,
    date: str | None,
    language: str | None,
    speakers: tuple[str, ...],
    force: bool,
    reporter: Reporter | None,
    bid: str | None,
    hold: Callable[[str], None],
    until: Any = None,
    engine: Callable[[Any, Settings], Any] | None = None,
    media: Callable[[Path, Path, Any], dict[str, Path]] | None = None,
    speech_audio: Callable[[Path, Path], Path] | None = None,
) -> ProcessResult:
    t0 = time.perf_counter()
    b, sha, seconds, before = register(
        store,
        settings,
        path,
        title=title,
        date=date,
        language=language,
        speakers=speakers,
        bid=bid,
        force=force,
        hold=hold,
    )
    if until is not None and until > embargo.now():
        embargo.request(store, b.id, until)
    replaced = (
        f"The recording was replaced (SHA-256 {before[:12]}… → {sha[:12]}…)." if before and before != sha else None
    )
    runner = Runner(
        store, settings, b, force=force, reporter=reporter, engine=engine, media=media, speech_audio=speech_audio
    )
    runner.ingest(Path(path), sha)
    lang = None if b.language in ("", "auto") else b.language
    # The web media is made beside recognition, on the cycles it leaves (see Runner.video); it starts
    # with the speech extraction, which keeps one core busy, unless the web audio of a live capture is
    # to be adopted: that is checked against the length of the extracted speech.
    early = not live.media_involved(settings, b.id)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        video = pool.submit(runner.video) if early else None
        try:
            runner.preload_model(lang, seconds)
            runner.audio()
            if video is None:
                video = pool.submit(runner.video)
            runner.transcribe(lang)
            runner.summarize()
            video.result()  # redaction bleeps the web media too: it must exist first
        except BaseException:
            if video is not None:
                video.cancel()
            raise
    runner.redact()
    dist: distribute.Report | HeldRelease
    if embargo.held(store, b.id):
        page, dist = hold_release(store, settings, b.id, note=replaced, reporter=reporter)
    else:
        page = runner.publish(note=replaced)
        dist = distribute.after_publish(store, settings, b.id, reporter=reporter)
    # The English machine translation of a non-English briefing costs about one more transcription, so
    # it comes after the press has the page; the page is then published again with the second track.
    runner.translate()
    if "translate" in runner.ran and "translation_json" in store.artifacts(b.id):
        runner.redact()
        if embargo.held(store, b.id):  # still held: the private copy gets the track (no second email)
            page, dist = hold_release(store, settings, b.id, reporter=reporter)
        else:
            page = runner.publish()
            dist = distribute.after_publish(store, settings, b.id, reporter=reporter)
    return ProcessResult(store.briefing(b.id), runner.ran, runner.skipped, page, time.perf_counter() - t0, dist)


def runner_for(
    store: Store, settings: Settings, bid: str, *, force: bool = False, reporter: Reporter | None = None
) -> Runner:
    return Runner(store, settings, store.briefing(bid), force=force, reporter=reporter)


@locks.locked
def transcribe_one(
    store: Store,
    settings: Settings,
    bid: str,
    *,
    language: str | None = None,
    force: bool = False,
    reporter: Reporter | None = None,
) -> ProcessResult:
    r = runner_for(store, settings, bid, force=force, reporter=reporter)
    lang = (
        speech.check_language(language)
        if language
        else (None if r.briefing.language in ("", "auto") else r.briefing.language)
    )
    r.art("speech")
    r.transcribe(lang)
    return ProcessResult(store.briefing(bid), r.ran, r.skipped)


@locks.locked
def summarize_one(
    store: Store, settings: Settings, bid: str, *, force: bool = False, reporter: Reporter | None = None
) -> ProcessResult:
    r = runner_for(store, settings, bid, force=force, reporter=reporter)
    r.summarize()
    return ProcessResult(store.briefing(bid), r.ran, r.skipped)


@locks.locked
def publish_one(
    store: Store,
    settings: Settings,
    bid: str,
    *,
    force: bool = False,
    reporter: Reporter | None = None,
    note: str | None = None,
    notify: bool | None = None,
    embargo_until: str | None = None,
    send_at: str | None = None,
    resend_uncertain: bool = False,
) -> ProcessResult:
    """Publish one briefing. ``embargo_until``: hold it (see :func:`hold_release`) until then; a briefing
    already held stays held until its time, whatever is run. ``send_at``: publish now, send the press
    email at that time (the channels are told now)."""
    until = embargo.parse_time(embargo_until) if embargo_until else None
    if until is not None and until > embargo.now():
        embargo.request(store, bid, until, notify=notify)
    corrections.prepare_publish(store, settings, bid, note)  # a note makes version N+1
    r = runner_for(store, settings, bid, force=force, reporter=reporter)
    if "summary_json" in store.artifacts(bid):
        r.summarize()  # a corrected transcript gets its summary redone (no-op otherwise)
    if "json" in store.artifacts(bid):
        r.redact()  # what the release publishes: speakers labelled, personal data out (no-op if unchanged)
    if embargo.held(store, bid):
        page, held_dist = hold_release(store, settings, bid, note=note, reporter=reporter, notify=notify)
        return ProcessResult(store.briefing(bid), r.ran, r.skipped, page, distribution=held_dist)
    page = r.publish(note=note)
    dist = distribute.after_publish(
        store, settings, bid, notify=notify, embargo=send_at, resend_uncertain=resend_uncertain, reporter=reporter
    )
    return ProcessResult(store.briefing(bid), r.ran, r.skipped, page, distribution=dist)


@dataclass
class HeldRelease(Result):
    """A publish held by its embargo: the version built in the private area, until when, the press email
    sent now (marked embargoed); nothing went to the site or a target."""

    briefing_id: str
    version: int
    held_until: str
    link: str
    messages: list[distribute.Delivery]
    held: str  # why nothing was announced
    targets: list[distribute.TargetResult] = field(default_factory=list)
    announced: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "briefing_id": self.briefing_id,
            "version": self.version,
            "held_until": self.held_until,
            "link": self.link,
            "targets": [t.to_dict() for t in self.targets],
            "messages": [m.to_dict() for m in self.messages],
            "announced": self.announced,
            "held": self.held,
        }


@dataclass(frozen=True)
class Lift(Result):
    """An embargo the clock lifted (published now, once), or whose lift failed (tried again next time)."""

    briefing_id: str
    status: str  # lifted | failed
    until: str
    error: str | None
    version: int | None | Absent = ABSENT
    link: str | None | Absent = ABSENT


def hold_release(
    store: Store,
    settings: Settings,
    bid: str,
    *,
    note: str | None = None,
    notify: bool | None = None,
    reporter: Reporter | None = None,
) -> tuple[Path, HeldRelease]:
    """The embargo's hold: build and sign the new version in the briefing's private area of the home
    (never the site: the page, feeds, index, search page and targets do not change), send the press
    email now, marked EMBARGOED UNTIL <time, zone>, once, and record the hold. Returns the private page
    and what happened (``held_until``, ``messages``, ``link``)."""
    e = embargo.held(store, bid)
    if e is None:
        raise InputError(f"briefing {bid} is not under embargo")
    until = embargo.parse_time(e["until"])
    distribute.check_base_url(settings)  # the email's link is the page's public URL
    area = embargo.held_dir(settings, bid)
    private = area / "site"
    import shutil

    shutil.rmtree(private, ignore_errors=True)  # rebuilt from the artifacts each time: never public
    page = runner_for(store, settings, bid, reporter=reporter).publish(note=note, into=private)
    meta = json.loads((private / "briefings" / bid / "release.json").read_text(encoding="utf-8"))
    version = int(meta.get("version", 1))
    embargo.mark(
        store,
        bid,
        version=version,
        notify=notify if notify is not None else e.get("notify"),
        note=note or e.get("note"),
    )  # the lift publishes it with the same change note
    key = distribute.record_embargoed_email(store, settings, bid, meta, private, embargo.label(until), area / "email")
    messages = distribute.send_due(store, settings, briefing_id=bid) if key else []
    sent = [m for m in messages if m.status == "sent"]
    if reporter is not None:
        reporter.stage(
            "embargo",
            "done",
            f"held until {e['until']} (page, feeds, index, search, targets); "
            + (
                "press email sent, marked embargoed"
                if sent
                else "press email sent before"
                if key
                else "no press email configured"
            ),
        )
    failed = [m for m in messages if m.status == "failed"]
    link = distribute.public_link(settings, bid)
    out = HeldRelease(bid, version, e["until"], link, messages, f"embargoed until {e['until']}")
    if failed:
        raise errors.PublishError(
            f"briefing {bid} is held until {e['until']}, but the press email failed: {failed[0].error}",
            hint="fix it and run `briefing outbox send` (the email is sent once)",
        )
    return page, out


def lift_embargoes(store: Store, settings: Settings, *, reporter: Reporter | None = None) -> list[Lift]:
    """Publish, once, every held briefing whose time has come (the clock: :func:`embargo.now`): site,
    search, targets, then the channels; the press email, sent when it was held, is not sent again. A
    lift that fails is retried by the next call."""
    out: list[Lift] = []
    for bid, e in embargo.due(store):
        try:
            result = publish_one(store, settings, bid, notify=e.get("notify"), note=e.get("note"), reporter=reporter)
        except BriefingError as exc:  # the next tick tries again; nothing is sent twice
            out.append(Lift(bid, "failed", e["until"], str(exc)))
            continue
        embargo.mark(store, bid, lifted_at=embargo.iso(embargo.now()))
        import shutil

        shutil.rmtree(embargo.held_dir(settings, bid) / "site", ignore_errors=True)
        d = result.distribution
        out.append(Lift(bid, "lifted", e["until"], None, d.version if d else None, d.link if d else None))
    return out


@dataclass(frozen=True)
class StageStatus(Result):
    """One stage of a briefing: its state, error, when it finished, its run's info and its artifacts."""

    stage: str
    status: str  # pending | running | done | failed | interrupted ...
    error: str | None
    finished_at: str | None
    info: dict[str, Any]  # what the stage recorded (e.g. the transcription's device)
    artifacts: dict[str, str]  # role -> path

    @property
    def device(self) -> str | None:
        """The hardware that ran the stage (the transcription's), when it says so."""
        return self.info.get("device") or None

    @property
    def compute_type(self) -> str:
        return str(self.info.get("compute_type") or "")

    @property
    def live(self) -> bool:
        return bool(self.info.get("live"))

    @property
    def engine(self) -> str:
        """The recognition engine that made the transcript (the transcription's), e.g. "viet-asr 0.1.0.dev11 …"."""
        return str(self.info.get("engine") or "")

    @property
    def model(self) -> str:
        """The model that made the transcript (the transcription's), e.g. "base", "viet-asr 0.1.0.dev11"."""
        return str(self.info.get("model") or "")


@dataclass(frozen=True)
class BriefingStatus(Result):
    """A briefing and the state of each stage (``briefing status``); ``distribution`` where asked for."""

    id: str
    title: str
    date: str
    language: str
    speakers: list[str]
    stages: list[StageStatus]
    distribution: distribute.DistributionStatus | None = optional()


def status(store: Store, bid: str | None = None, *, settings: Settings | None = None) -> list[BriefingStatus]:
    """The briefings (or one) with their stages; with ``settings``, where each is distributed too."""
    briefings = [store.briefing(bid)] if bid else store.briefings()
    out = []
    for b in briefings:
        runs = store.stages(b.id)
        arts = store.artifacts(b.id)
        stages = []
        for name in STAGES:
            run = runs.get(name)
            state = "pending" if run is None else run.status
            if run is not None and run.status == "running":
                state = "interrupted"
            stages.append(
                StageStatus(
                    name,
                    state,
                    run.error if run else None,
                    run.finished_at if run else None,
                    run.info if run else {},
                    {a.role: a.path for a in arts.values() if a.stage == name},
                )
            )
        out.append(
            BriefingStatus(
                b.id,
                b.title,
                b.date,
                b.language,
                list(b.speakers),
                stages,
                distribute.status(store, settings, b.id) if settings is not None else None,
            )
        )
    return out


# -- the translate and redact stages -----------------------------------------------------------------------
REDACTED_ROLES = {
    "json": "transcript.json",
    "srt": "transcript.srt",
    "vtt": "transcript.vtt",
    "txt": "transcript.txt",
    "summary_json": "summary.json",
    "summary": "summary.md",
    "translation_vtt": "translation.en.vtt",
}


def patterns(settings: Settings) -> Any:
    from transcribe.redact import patterns_for

    node = settings.section("redact") or {}
    country = str(RedactSettings.of(settings).country or "").strip().lower()
    extra = node.get("patterns") or {}
    disable = tuple(node.get("disable") or ())
    if not isinstance(extra, dict):
        raise ConfigError(
            '[redact.patterns] must be a table of name = "regular expression"',
            hint='e.g. [redact.patterns]\npassport = "\\\\b[A-Z]\\\\d{7}\\\\b"',
        )
    try:
        return patterns_for(
            None if country in ("", "none") else country,
            extra={str(k): str(v) for k, v in extra.items()},
            disable=disable,
            pad=float(node.get("pad", 0.15)),
        )
    except ValueError as exc:
        raise ConfigError(f"bad [redact] settings: {exc}", hint="fix the pattern or the country") from None


def wants_translation(settings: Settings, language: str) -> bool:
    mode = TranslateSettings.of(settings).enabled.lower()
    if mode in ("off", "false", "no", "0"):
        return False
    if mode not in ("auto", "on", "true", "yes", "1"):
        raise ConfigError(f"translate.enabled is {mode!r}", hint="use auto or off")
    return bool(language) and language not in ("en", "auto")


def _translate(runner: Runner) -> None:
    """Whisper's translate task over the speech audio: an English transcript, as a second captions track."""
    from transcribe import formats

    b = runner.store.briefing(runner.briefing.id)
    heard = runner.store.stage(b.id, "transcribe")
    silent = heard is not None and heard.status == "done" and heard.info.get("segments") == 0
    if silent or not wants_translation(runner.settings, b.language):  # recorded as done with nothing to make
        reason = (
            "no speech"
            if silent
            else "English briefing"
            if b.language == "en"
            else "translation off or language unknown"
        )
        runner.run(
            "translate",
            {
                "none": b.language,
                "mode": TranslateSettings.of(runner.settings).enabled,
                **({"no_speech": True} if silent else {}),
            },
            lambda: ([], {"skipped": reason}),
        )
        return
    speech_art = runner.art("speech")
    model_path, model_id = speech.model(runner.settings)
    opts = speech.transcribe_options(runner.settings, b.language, task="translate")
    out = workspace.translation_dir(runner.settings, b.id)

    def work() -> tuple[list[Any], dict[str, Any]]:
        tr = runner.engine(model_path, runner.settings)
        t = tr.transcribe(Path(speech_art.path), opts, progress=runner.reporter.progress)
        if QualitySettings.of(runner.settings).guards:
            from transcribe import guards

            t = guards.apply_guards(t).transcript
        t = replace(t, language="en", options={**t.options, "machine_translation": True, "source_language": b.language})
        pj = atomic_write_text(out / "translation.en.json", formats.to_json(t))
        pv = atomic_write_text(out / "translation.en.vtt", formats.to_vtt(t))
        return [artifact("translation_json", pj), artifact("translation_vtt", pv)], {
            "segments": len(t.segments),
            "from": b.language,
        }

    runner.run(
        "translate",
        {
            "speech": speech_art.sha256,
            "model": model_id,
            "opts": repr(opts),
            "engine": speech.engine_version(),
            "quality": speech.QUALITY_VERSION,
        },
        work,
    )


def _redact(runner: Runner) -> None:
    """Make what the release publishes: speaker-labelled, redacted transcript files, redacted summary and
    translation, and bleeped media when personal data was said."""
    from recorder import ffmpeg as rff
    from transcribe import formats
    from transcribe import redact as tr
    from transcribe.types import Summary

    store, settings = runner.store, runner.settings
    b = store.briefing(runner.briefing.id)
    arts = store.artifacts(b.id)
    enabled = RedactSettings.of(settings).enabled
    pats = patterns(settings)
    turn_list = review.turns(store, b.id)
    inputs = {r: arts[r].sha256 for r in ("json", "summary_json", "audio", "video", "translation_json") if r in arts}
    key = {
        "inputs": inputs,
        "enabled": enabled,
        "patterns": pats.key() if enabled else None,
        "turns": [t.to_dict() for t in turn_list],
        "title": b.title,
        "date": b.date,
        "speakers": list(b.speakers),
        "ffmpeg": rff.version(),
        "version": speech.QUALITY_VERSION,
    }
    out = workspace.published_dir(settings, b.id)

    def work() -> tuple[list[Any], dict[str, Any]]:
        t = formats.from_json(Path(arts["json"].path).read_text(encoding="utf-8"))
        t = review.apply_turns(t, turn_list)
        hits: list[Any] = []
        if enabled:
            red = tr.redact(t, pats)
            t, hits = red.transcript, list(red.hits)
        files = {
            "json": formats.to_json(t),
            "srt": formats.to_srt(t),
            "vtt": formats.to_vtt(t),
            "txt": formats.to_txt(t),
        }
        if "summary_json" in arts:
            s = Summary.from_dict(json.loads(Path(arts["summary_json"].path).read_text(encoding="utf-8")))
            if enabled:
                s = tr.redact_summary(s, pats, [(h.start, h.end) for h in hits])
            files["summary_json"] = json.dumps(s.to_dict(), ensure_ascii=False, indent=2)
            files["summary"] = summary_markdown(b, s)
        if "translation_json" in arts:
            tt = formats.from_json(Path(arts["translation_json"].path).read_text(encoding="utf-8"))
            if enabled:
                red_t = tr.redact(tt, pats)
                tt = red_t.transcript
                hits += list(red_t.hits)  # the same moment said in English: bleep the span too
            files["translation_vtt"] = formats.to_vtt(tt)
        result = []
        for role, body in files.items():
            result.append(artifact("redacted_" + role, atomic_write_text(out / REDACTED_ROLES[role], body)))
        spans = tr.merge_spans([(h.start, h.end) for h in hits])
        if spans:
            from recorder.bleep import bleep

            tag = sha256_text(json.dumps(spans))[:12]
            for role in ("audio", "video"):
                if role not in arts:
                    continue
                src = Path(arts[role].path)
                dest = out / f"{src.stem}.bleeped-{arts[role].sha256[:8]}-{tag}{src.suffix}"
                if not dest.is_file() or dest.stat().st_size == 0:
                    for old in out.glob(f"{src.stem}.bleeped-*{src.suffix}"):
                        old.unlink()
                    bleep(src, dest, spans)
                result.append(artifact("redacted_" + role, dest))
        else:
            for old in list(out.glob("*.bleeped-*")) if out.is_dir() else []:
                old.unlink()
        return result, {"hits": [h.to_dict() for h in hits], "spans": spans, "speakers": len(turn_list)}

    runner.run("redact", key, work)


def release_artifacts(store: Any, bid: str, arts: dict[str, Any]) -> dict[str, Any]:
    """The artifacts a release is made of: the redacted copies in place of the originals."""
    out = dict(arts)
    for role, a in arts.items():
        if role.startswith("redacted_") and role != "redacted_translation_vtt":
            out[role[len("redacted_") :]] = a
    return out


def extra_tracks(arts: dict[str, Any]) -> tuple[tuple[str, str, Path], ...]:
    a = arts.get("redacted_translation_vtt")
    if a is None:
        return ()
    return (("en", "English", Path(a.path)),)
