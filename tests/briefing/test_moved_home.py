"""A home can be moved (issue 16, item 13): the recordings, the recording queue and the local site's
publication are stored relative to the home, so a copied home shows, processes and prunes its own files
only, and the original is not touched (real SQLite, ffmpeg, bagit; no Whisper: the queue's processing
is the one injected step)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from briefing.core import workspace
from briefing.core.store import Store
from briefing.recording import queue, record, worker
from tests.factory import home_snapshot, moved_before_migration, published_with_source

BID = "2026-11-25-daily-briefing"  # published from the local site
CAP = "2026-11-26-daily-briefing"  # recorded by a capture, queued for processing


def _captured(store: Store, settings, bid: str) -> dict:
    """What `record capture` leaves and `record stop` finishes: segments joined, moved in, queued."""
    import ffmpeg as fg

    from recorder import capture as rc
    from recorder import ffmpeg
    from tests.recorder.media import make_sine

    tone = make_sine(settings.home.parent / "tone.wav", duration=4.0)
    cdir = workspace.capture_dir(settings, bid)
    segs = rc.segment_dir(cdir)
    segs.mkdir(parents=True)
    out = fg.output(
        fg.input(str(tone)).audio,
        str(segs / "seg-%06d.ts"),
        f="segment",
        segment_time=2,
        reset_timestamps=1,
        segment_format="mpegts",
        acodec="aac",
        ar=48000,
        ac=2,
    )
    ffmpeg.run(ffmpeg.compile_graph(out))
    rc._write_json(cdir / rc.STATE_NAME, {"source": "rtmp://127.0.0.1/live/x", "runs": [], "stopped_at": None})
    record.ensure_briefing(store, settings, bid)
    record._open_recording(store, bid, "capture", source="rtmp://127.0.0.1/live/x")
    return record.capture_stop(store, settings, bid, wait=0)


def _home_with_a_recording_and_a_site(home: Path) -> None:
    store, settings = published_with_source(home, BID, source_path=True)
    stopped = _captured(store, settings, CAP)
    assert stopped.stopped and stopped.queued, stopped
    store.close()
    (home / "briefing.toml").write_text("[retention.standard]\nworking_days = 0\n")


def _paths_in(value: object) -> list[str]:
    """Every string in a JSON value that is an absolute path."""
    if isinstance(value, str):
        return [value] if value.startswith("/") else []
    if isinstance(value, dict):
        return [p for v in value.values() for p in _paths_in(v)]
    if isinstance(value, list):
        return [p for v in value for p in _paths_in(v)]
    return []


def test_a_copied_home_shows_processes_and_prunes_only_its_own_recordings_and_site(
    briefing_env: Path, run, copied_home
) -> None:
    _home_with_a_recording_and_a_site(briefing_env)
    copy, original = copied_home()

    # status: every path it shows is in the copy (the site's page, the artifacts, the recording, the job)
    res = run("status", "--json")
    assert res.code == 0, res.err
    shown = _paths_in(res.json())
    assert shown and all(Path(p).is_relative_to(copy) for p in shown), [
        p for p in shown if not Path(p).is_relative_to(copy)
    ]
    site = {t["name"]: t for b in res.json() if b["id"] == BID for t in b["distribution"]["targets"]}["site"]
    assert site["url"] == str(copy / "site" / "briefings" / BID / "index.html")
    res = run("status", BID)
    assert res.code == 0 and str(copy / "site") in res.out and str(briefing_env) not in res.out, res.out
    res = run("record", "status", CAP, "--json")
    assert res.code == 0, res.err
    rec = res.json()
    shown = _paths_in(rec)
    assert shown and all(Path(p).is_relative_to(copy) for p in shown), shown
    assert [Path(j["path"]).parent for j in rec["jobs"]] == [copy / "briefings" / CAP / "recording"]
    res = run("record", "status", CAP)
    assert res.code == 0 and str(briefing_env) not in res.out and str(copy / "briefings" / CAP) in res.out, res.out

    # work: the queued recording processed is the copy's own
    from briefing.core.config import load_settings

    store = Store(copy / "briefing.db")
    seen = []

    def process(store_, settings_, path, **kw):  # the pipeline itself (Whisper) is tested elsewhere
        seen.append(Path(path))
        return type("R", (), {"ran": ["ingest"], "page": str(settings_.site_dir / "briefings" / kw["bid"])})()

    done = worker.work(store, load_settings(copy), process=process)
    assert [d.briefing for d in done.done] == [CAP] and not done.failed, done
    assert seen == [copy / "briefings" / CAP / "recording" / "recording.mp4"]
    job = queue.jobs(store, bid=CAP)[0]
    assert Path(job.result["recording"]).is_relative_to(copy) and Path(job.result["page"]).is_relative_to(copy)
    store.close()

    # prune: frees the copy's working files, none of the original's
    res = run("prune", BID, "--json")
    assert res.code == 0, res.err
    freed = res.json()["freed"]
    assert freed and all(Path(f["path"]).is_relative_to(copy) and not Path(f["path"]).exists() for f in freed)

    assert home_snapshot(briefing_env) == original  # the original home: not one byte changed

    # stored relative to the home: no row names a path in it absolutely
    db = Store(copy / "briefing.db")
    rows = [
        *db.query("SELECT path FROM recordings"),
        *db.query("SELECT path FROM recording_jobs"),
        *db.query("SELECT url AS path FROM publications WHERE target = 'site'"),
        *db.query("SELECT source_path AS path FROM briefings WHERE source_path IS NOT NULL"),
    ]
    assert len(rows) >= 4 and not any(os.path.isabs(r["path"]) for r in rows), [r["path"] for r in rows]
    db.close()


def test_migration_41_makes_old_absolute_recording_paths_relative_even_in_a_copied_home(
    briefing_env: Path, tmp_path: Path
) -> None:
    _home_with_a_recording_and_a_site(briefing_env)
    home = briefing_env
    store = Store(home / "briefing.db")
    # the rows as the earlier version wrote them: absolute paths of this home
    with store.tx() as db:
        for r in list(db.execute("SELECT id, path, meta FROM recordings")):
            meta = json.loads(r[2])
            meta["original"] = str(home / meta["original"])
            db.execute(
                "UPDATE recordings SET path = ?, meta = ? WHERE id = ?", (str(home / r[1]), json.dumps(meta), r[0])
            )
        for r in list(db.execute("SELECT id, briefing_id, path FROM recording_jobs")):
            db.execute(
                "UPDATE recording_jobs SET path = ?, key = ? WHERE id = ?",
                (str(home / r[2]), f"{r[1]}:{home / r[2]}", r[0]),
            )
        db.execute(
            "UPDATE publications SET url = ? WHERE target = 'site'",
            (str(home / "site" / "briefings" / BID / "index.html"),),
        )
        db.execute(
            "UPDATE briefings SET source_path = ? WHERE source_path IS NOT NULL",
            (str(home / "briefings" / BID / "source" / "original.mp4"),),
        )
        info = json.loads(db.execute("SELECT info FROM stages WHERE stage = 'publish'").fetchone()[0])
        info.update(page=str(home / info["page"]), site=str(home / info["site"]))
        db.execute("UPDATE stages SET info = ? WHERE stage = 'publish'", (json.dumps(info),))
    copy = tmp_path / "moved"
    moved = moved_before_migration(store, home, copy, 41)
    raw = [
        *moved.query("SELECT path FROM recordings"),
        *moved.query("SELECT path FROM recording_jobs"),
        *moved.query("SELECT key AS path FROM recording_jobs"),
        *moved.query("SELECT url AS path FROM publications WHERE target = 'site'"),
        *moved.query("SELECT source_path AS path FROM briefings WHERE source_path IS NOT NULL"),
    ]
    assert raw and not any(str(home) in r["path"] for r in raw), [r["path"] for r in raw]
    rec = record.recordings(moved, CAP)[0]
    assert Path(rec.path) == copy / "briefings" / CAP / "recording" / "recording.mp4"
    assert Path(rec.path).is_file() and Path(rec.meta["original"]).is_relative_to(copy)
    job = queue.jobs(moved, bid=CAP)[0]
    assert Path(job.path) == Path(rec.path)
    assert moved.briefing(BID).source_path == str(copy / "briefings" / BID / "source" / "original.mp4")
    from briefing.core.config import load_settings
    from briefing.press import distribute
    from briefing.processing import pipeline

    info = next(s.info for s in pipeline.status(moved, BID)[0].stages if s.stage == "publish")
    assert (info["page"], info["site"]) == (str(copy / "site" / "briefings" / BID / "index.html"), str(copy / "site"))
    site = distribute.status(moved, load_settings(copy), BID).targets[0]
    assert site.name == "site" and site.url == str(copy / "site" / "briefings" / BID / "index.html")
    moved.close()
    # the original, opened later, is migrated against itself
    orig = Store(home / "briefing.db")
    assert Path(record.recordings(orig, CAP)[0].path) == home / "briefings" / CAP / "recording" / "recording.mp4"
    assert Path(queue.jobs(orig, bid=CAP)[0].path).is_relative_to(home)
    orig.close()
