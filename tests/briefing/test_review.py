"""Review list, speaker turns, and what a release publishes: labelled speakers, personal data redacted
in text and bleeped in the audio, while the archive keeps the originals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from briefing.core.config import load_settings
from briefing.core.errors import InputError
from briefing.core.store import Briefing, Store
from briefing.processing import pipeline, review
from recorder import ffmpeg
from transcribe import formats
from transcribe.types import Segment, Transcript, Word

BID = "2026-11-25-daily-briefing"


def _words(tokens: list[str], start: float, step: float, p: float = 0.9) -> tuple[Word, ...]:
    return tuple(Word(round(start + k * step, 3), round(start + (k + 1) * step, 3), t, p) for k, t in enumerate(tokens))


def make_transcript() -> Transcript:
    w0 = _words([" Good", " morning,", " this", " is", " the", " briefing."], 0.0, 0.45)
    w1 = _words([" The", " hotline", " is", " 0912", " 345", " 678."], 3.0, 0.5)
    w2 = _words([" And", " so,", " my", " fellow", " Americans."], 6.2, 0.9, p=0.3)

    def mk(i, ws, conf):
        return Segment(
            i,
            ws[0].start,
            ws[-1].end,
            "".join(w.text for w in ws),
            ws,
            confidence=conf,
            flags=("low-confidence",) if conf < 0.5 else (),
        )

    return Transcript("en", 11.0, (mk(0, w0, 0.9), mk(1, w1, 0.9), mk(2, w2, 0.3)), model="base")


@pytest.fixture
def processed(briefing_env: Path, speech_dir: Path, tmp_path: Path):
    """A briefing with real audio (the JFK clip) and a hand-made transcript whose transcribe, summarize and
    video stages are recorded as done."""
    return _processed(briefing_env, speech_dir, make_transcript())


def _processed(briefing_env: Path, speech_dir: Path, t: Transcript):
    from transcribe import summary

    settings = load_settings(briefing_env)
    store = Store(settings.store_path)
    d = settings.workspace / BID
    (d / "media").mkdir(parents=True)
    audio = d / "media" / "audio.m4a"
    ffmpeg.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(speech_dir / "en_jfk.flac"),
            "-ac",
            "1",
            "-ar",
            "48000",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            str(audio),
        ]
    )
    store.save_briefing(
        Briefing(
            id=BID,
            title="Daily press briefing",
            date="2026-11-25",
            language="en",
            speakers=("Spokesperson", "Dr. Lan Nguyen"),
        )
    )
    (d / "source").mkdir()
    source = d / "source" / "original.flac"
    source.write_bytes((speech_dir / "en_jfk.flac").read_bytes())
    store.stage_started(BID, "ingest", "k")
    store.stage_done(BID, "ingest", "k", [pipeline.artifact("source", source)], {})
    store.stage_started(BID, "video", "k")
    store.stage_done(BID, "video", "k", [pipeline.artifact("audio", audio)], {})
    tarts = []
    for ext, text in {
        "json": formats.to_json(t),
        "srt": formats.to_srt(t),
        "vtt": formats.to_vtt(t),
        "txt": formats.to_txt(t),
    }.items():
        p = d / "transcript" / f"transcript.{ext}"
        p.parent.mkdir(exist_ok=True)
        p.write_text(text, encoding="utf-8")
        tarts.append(pipeline.artifact(ext, p))
    store.stage_started(BID, "transcribe", "k")
    store.stage_done(
        BID,
        "transcribe",
        "k",
        tarts,
        {
            "quality": {
                "guards": [
                    {"kind": "artefact", "action": "removed", "start": 10.0, "end": 11.0, "text": "Thanks for watching"}
                ],
                "glossary": [],
            }
        },
    )
    s = summary.summarize(t)
    (d / "summary").mkdir()
    (d / "summary" / "summary.json").write_text(json.dumps(s.to_dict()), encoding="utf-8")
    (d / "summary" / "summary.md").write_text(pipeline.summary_markdown(store.briefing(BID), s), encoding="utf-8")
    store.stage_started(BID, "summarize", "k")
    store.stage_done(
        BID,
        "summarize",
        "k",
        [
            pipeline.artifact("summary_json", d / "summary" / "summary.json"),
            pipeline.artifact("summary", d / "summary" / "summary.md"),
        ],
        {},
    )
    return store, settings


def test_review_lists_what_to_check(processed, run) -> None:
    res = run("review", BID, "--json")
    assert res.code == 0, res.err
    data = res.json()
    assert data["to_review"] == 1
    item = data["items"][0]
    assert item["time"] == "00:00:06" and item["text"] == "And so, my fellow Americans."
    assert item["confidence"] == 0.3 and "low-confidence" in item["flags"]
    assert [w["text"] for w in item["low_words"]][:2] == ["And", "so,"]
    assert data["guards"][0]["kind"] == "artefact"
    assert data["roster"] == ["Spokesperson", "Dr. Lan Nguyen"]
    text = run("review", BID)
    assert text.code == 0
    assert "00:00:06   30% [low-confidence] And so, my fellow Americans." in text.out
    assert "unsure: And (30%)" in text.out and "guard: artefact removed" in text.out
    assert run("review", BID, "--all", "--json").json()["to_review"] == 3


def test_speaker_turns(processed, run) -> None:
    store, _ = processed
    res = run("review", BID, "--speaker", "Spokesperson", "--from", "0", "--to", "00:00:06")
    assert res.code == 0, res.err
    run("review", BID, "--speaker", "Dr. Lan Nguyen", "--from", "00:00:05", "--to", "00:00:11")
    assert [(t.start, t.end, t.name) for t in review.turns(store, BID)] == [
        (0, 5, "Spokesperson"),
        (5, 11, "Dr. Lan Nguyen"),
    ]
    bad = run("review", BID, "--speaker", "Someone Else", "--from", "1", "--to", "2")
    assert bad.code != 0 and "not on the roster" in bad.err
    assert run("review", BID, "--speaker", "Someone Else", "--from", "1", "--to", "2", "--new-speaker").code == 0
    assert run("review", BID, "--speaker", "X", "--from", "3", "--to", "2", "--new-speaker").code != 0
    with pytest.raises(InputError):
        review.parse_time("1:xx")
    assert review.parse_time("01:02:03.5") == 3723.5 and review.parse_time("02:03") == 123
    run("review", BID, "--clear-speakers")
    assert review.turns(store, BID) == []


def _decode(path: Path) -> np.ndarray:
    out = ffmpeg.run(["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", "16000", "-f", "f32le", "-"]).stdout
    return np.frombuffer(out, dtype=np.float32)


def test_release_is_redacted_and_labelled_archive_keeps_originals(processed, run) -> None:
    store, settings = processed
    review.assign_speaker(store, BID, "Spokesperson", 0, 6)
    review.assign_speaker(store, BID, "Dr. Lan Nguyen", 6, 11)
    res = run("publish", BID, "--json")
    assert res.code == 0, res.err
    site = settings.site_dir / "briefings" / BID
    page = (site / "index.html").read_text(encoding="utf-8")
    assert '<span class="speaker">Spokesperson:</span>' in page
    assert '<span class="speaker">Dr. Lan Nguyen:</span>' in page
    assert "[phone]" in page
    # no published text file holds the number
    for p in site.rglob("*"):
        if p.is_file() and p.suffix in (".html", ".json", ".vtt", ".srt", ".txt", ".md"):
            body = p.read_text(encoding="utf-8")
            assert "0912" not in body and "345 678" not in body, p
    vtt = (site / "transcript.vtt").read_text(encoding="utf-8")
    assert "<v Spokesperson>" in vtt and "<v Dr. Lan Nguyen>" in vtt
    assert "] Spokesperson: Good morning" in (site / "transcript.txt").read_text(encoding="utf-8")
    # the published audio is bleeped over the number (4.5 s … 6.0 s, padded), the rest unchanged
    original = Path(store.artifacts(BID)["audio"].path)
    published = next(p for p in site.iterdir() if p.suffix == ".m4a")
    a, b = _decode(original), _decode(published)
    sr = 16000
    span = store.stage(BID, "redact").info["spans"]
    assert span == [[4.35, 6.15]]
    inside = b[int(4.45 * sr) : int(6.05 * sr)]
    spec = np.abs(np.fft.rfft(inside)) ** 2
    freqs = np.fft.rfftfreq(len(inside), 1 / sr)
    assert spec[(freqs > 970) & (freqs < 1030)].sum() / spec.sum() > 0.95
    x, y = a[int(0.5 * sr) : int(4.2 * sr)], b[int(0.5 * sr) : int(4.2 * sr)]
    assert np.corrcoef(x, y)[0, 1] > 0.98
    # the originals stay the transcript's artifacts: what the archive packs
    orig = json.loads(Path(store.artifacts(BID)["json"].path).read_text(encoding="utf-8"))
    assert "0912 345 678" in orig["text"]
    from briefing.records import archive

    items = {it.rel: it for it in archive._gather(store, settings, BID)}
    assert "0912 345 678" in items["transcript/transcript.json"].src.read_text(encoding="utf-8")
    assert items["media/audio.m4a"].sha256 == store.artifacts(BID)["audio"].sha256
    # the stage's record names the kind and time, never the number
    assert "0912" not in json.dumps(store.stage(BID, "redact").info)
    # a re-run with nothing changed does nothing; a new speaker turn redoes redact and publish only
    again = run("publish", BID, "--json").json()
    assert "redact" in again["skipped"] and "publish" in again["skipped"]
    review.assign_speaker(store, BID, "Spokesperson", 6, 11)
    third = run("publish", BID, "--json").json()
    assert "redact" in third["ran"] and "publish" in third["ran"]


def test_redaction_can_be_turned_off(processed, run, briefing_env: Path) -> None:
    (briefing_env / "briefing.toml").write_text("[redact]\nenabled = false\n", encoding="utf-8")
    assert run("publish", BID).code == 0
    store, settings = processed
    page = (settings.site_dir / "briefings" / BID / "index.html").read_text(encoding="utf-8")
    assert "0912 345 678" in page


def test_glossary_and_guard_settings_reach_the_transcribe_stage(briefing_env: Path, tmp_path: Path) -> None:
    from briefing.processing import speech

    briefing_env.mkdir(parents=True, exist_ok=True)
    (briefing_env / "briefing.toml").write_text(
        '[glossary]\npeople = ["Nguyễn Thanh Long"]\nplaces = ["Hà Nội"]\n', encoding="utf-8"
    )
    settings = load_settings(briefing_env)
    o = speech.transcribe_options(settings, "vi")
    from transcribe.guards import DECODING

    assert all(getattr(o, k) == v for k, v in DECODING.items()) and not o.condition_on_previous_text
    assert o.hotwords is None and o.initial_prompt is None  # default: correction only
    (briefing_env / "briefing.toml").write_text(
        '[quality]\nglossary_mode = "hotwords"\n[glossary]\npeople = ["Nguyễn Thanh Long"]\n', encoding="utf-8"
    )
    s2 = load_settings(briefing_env)
    assert speech.transcribe_options(s2, "vi").hotwords == "Nguyễn Thanh Long"
    assert speech.postprocess_key(s2) != speech.postprocess_key(settings)  # a new glossary redoes the stage
    t = Transcript(
        "vi",
        10,
        (
            Segment(0, 0, 3, " ông nguyen thanh long phát biểu"),
            Segment(1, 3, 5, " Subtitles by the Amara.org community"),
        ),
    )
    fixed, info = speech.postprocess(s2, t, tmp_path / "missing.wav")
    assert [s.text for s in fixed.segments] == [" ông Nguyễn Thanh Long phát biểu"]
    assert info["glossary"][0]["term"] == "Nguyễn Thanh Long" and info["guards"][0]["kind"] == "artefact"


def test_a_garbled_phone_number_is_redacted_everywhere(briefing_env: Path, speech_dir: Path, run) -> None:
    """Said digit by digit ("zero nine one two, three four five, six seven eight"), a phone number comes out
    of the recognizer with a digit lost and hyphens ("0-1-2-345678"), or as spoken words: none of it may
    reach the page, captions, transcripts, feeds or search index; the review lists kind and time only."""
    w0 = _words([" If", " you", " have", " symptoms,", " call", " 0-1-2-345678", " right", " away."], 0.0, 0.5)
    w1 = _words(
        [" Or", " ring", " zero", " nine", " one", " two,", " three", " four", " five,", " six", " seven", " eight."],
        4.5,
        0.4,
    )
    w2 = _words([" There", " were", " 1,240", " cases", " in", " 2026."], 9.4, 0.25)
    mk = lambda i, ws: Segment(i, ws[0].start, ws[-1].end, "".join(w.text for w in ws), ws, confidence=0.9)  # noqa: E731
    store, settings = _processed(
        briefing_env, speech_dir, Transcript("en", 11.0, (mk(0, w0), mk(1, w1), mk(2, w2)), model="base")
    )
    res = run("publish", BID, "--json")
    assert res.code == 0, res.err
    site = settings.site_dir
    assert "[phone]" in (site / "briefings" / BID / "index.html").read_text(encoding="utf-8")
    for p in site.rglob("*"):
        if p.is_file() and p.suffix in (".html", ".json", ".js", ".vtt", ".srt", ".txt", ".md", ".xml"):
            body = p.read_text(encoding="utf-8")
            assert "345678" not in body and "0-1-2" not in body and "six seven eight" not in body, p
    assert "1,240 cases in 2026" in (site / "briefings" / BID / "transcript.txt").read_text(encoding="utf-8")
    data = run("review", BID, "--json").json()
    assert [(r["kind"], r["start"], r["end"]) for r in data["redactions"]] == [
        ("phone", 2.35, 3.15),
        ("phone", 5.15, 9.45),
    ]
    assert all(set(r) == {"kind", "segment_id", "start", "end"} for r in data["redactions"])
    text = run("review", BID).out
    assert "00:00:02  redacted phone (2.4–3.1 s)" in text and "00:00:05  redacted phone (5.2–9.4 s)" in text
    assert "345678" not in json.dumps(store.stage(BID, "redact").info)
