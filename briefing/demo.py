"""`briefing demo`: the whole job on a built-in sample, in a fresh home, with no config and no server."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from briefing.core import errors
from briefing.core.config import load_settings, resolve_home
from briefing.core.store import Store
from briefing.processing import pipeline


class Sample(TypedDict):
    voice: str
    title: str
    speakers: tuple[str, ...]
    text: str


SAMPLES: dict[str, Sample] = {
    "en": {
        "voice": "en-us",
        "title": "Daily press briefing of the Ministry of Health",
        "speakers": ("Spokesperson of the Ministry of Health",),
        "text": (
            "Good morning, and welcome to the daily press briefing of the Ministry of Health. "
            "Today we recorded 1240 new cases of the virus, down from 1500 yesterday. "
            "Sadly, 12 deaths were reported in the last twenty four hours. "
            "Our laboratories carried out 35000 tests across the country. "
            "The vaccination campaign continues, and 250000 doses were given this week. "
            "Hospitals are treating 830 patients, of whom 95 are in intensive care. "
            "We ask everyone to keep wearing masks in crowded places and to get vaccinated. "
            "Thank you. We will now take questions from the press."
        ),
    },
    "vi": {  # not run (see NO_VIETNAMESE_DEMO); kept as the script a Vietnamese voice would read
        "voice": "vi",
        "title": "Họp báo thường kỳ của Bộ Y tế",
        "speakers": ("Người phát ngôn Bộ Y tế",),
        "text": (
            "Xin chào các nhà báo. Đây là buổi họp báo thường kỳ của Bộ Y tế. "
            "Hôm nay cả nước ghi nhận 1240 ca mắc mới. "
            "Có 12 người tử vong trong hai mươi bốn giờ qua. "
            "Các phòng xét nghiệm đã thực hiện 35000 xét nghiệm. "
            "Xin cảm ơn các nhà báo."
        ),
    },
}


@dataclass
class DemoResult:
    result: pipeline.ProcessResult
    home: Path
    model_cache: Path

    @property
    def page(self) -> Path | None:
        return self.result.page

    def to_dict(self) -> dict[str, Any]:
        return {**self.result.to_dict(), "home": str(self.home), "model_cache": str(self.model_cache)}


def user_cache() -> Path:
    """The user's cache for briefing: $XDG_CACHE_HOME/briefing, by default ~/.cache/briefing."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "briefing"


def settings_for(home: str | None) -> Any:
    """The settings of a demo run. ``home`` None = a new temporary home, whose model cache is the user's
    (user_cache()) unless cache.dir / BRIEFING_CACHE_DIR says otherwise: the joined model (142 MB) is made
    once and shared by every demo, not copied into each temporary home. A home given keeps its own
    cache (<home>/cache), as any home does."""
    if home:
        return load_settings(resolve_home(home))
    home_path = Path(tempfile.mkdtemp(prefix="briefing-demo-"))
    settings = load_settings(home_path)
    if settings.sources["cache.dir"] == "default":
        settings = load_settings(home_path, overrides={"cache.dir": str(user_cache())})
    return settings


# Why there is no Vietnamese demo (issue 18). A demo must publish a transcript close to its script, or it
# presents garbage as the product. The Vietnamese sample would need either real Vietnamese speech whose
# licence lets briefing ship it (the speech the project measures with, FPT Open Speech Data and Common
# Voice, is for its tests and benchmarks, not for the package), or a synthesizer whose Vietnamese voice
# comes in a registry package and that the recognizer follows. espeak-ng is the only one installable
# offline: viet-asr reads its Vietnamese at 67-88 % WER (five voices and speeds tried on the demo text),
# Whisper base no better; the Vietnamese synthesizers on PyPI (korvatts, vntts, ...) download their
# voices from a model hub at first use. So the demo says so instead.
NO_VIETNAMESE_DEMO = (
    "there is no Vietnamese demo: briefing ships no Vietnamese speech it may redistribute, and the only "
    "Vietnamese speech synthesizer that installs offline (espeak-ng) is not understood by the recognizer "
    "(67-88 % of its words wrong), so the page would show garbage"
)
NO_VIETNAMESE_HINT = (
    "process a Vietnamese recording of your own: briefing process RECORDING.mp4 --language vi "
    "(viet-asr transcribes it); or run the English demo: briefing demo"
)


def run(home: str | None = None, *, reporter: Any = None, language: str = "en") -> DemoResult:
    """Make the sample recording (once per home) and process it. ``home`` None = a new temporary home.
    Vietnamese: :data:`NO_VIETNAMESE_DEMO` (a ConfigError), before anything is made."""
    from recorder import sample

    if language == "vi":
        raise errors.ConfigError(NO_VIETNAMESE_DEMO, hint=NO_VIETNAMESE_HINT)
    settings = settings_for(home)
    spec = SAMPLES[language]
    recording = settings.home / "demo" / f"sample-briefing-{language}.mp4"
    if not recording.exists():
        with errors.translated():
            sample.make_sample_recording(spec["text"], recording, voice=spec["voice"])
    store = Store(settings.store_path)
    try:
        result = pipeline.process(
            store,
            settings,
            recording,
            title=spec["title"],
            language=language,
            speakers=spec["speakers"],
            reporter=reporter,
        )
    finally:
        store.close()
    return DemoResult(result, settings.home, settings.cache_dir / "models")
