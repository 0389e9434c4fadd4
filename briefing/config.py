"""Settings, declared as data.

Precedence: command-line flag > ``BRIEFING_*`` environment variable > ``briefing.toml`` in the home >
default. Secrets are read only from the environment, or from a file named by ``<VAR>_FILE``; a secret in
briefing.toml is refused. ``briefing settings`` shows every value and where it came from (secrets masked).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from briefing.errors import ConfigError, HomeError


@dataclass(frozen=True)
class Setting:
    name: str  # dotted: "site.dir" is [site] dir = ... in briefing.toml
    default: Any
    help: str
    type: Callable[[Any], Any] = str
    secret: bool = False

    @property
    def env(self) -> str:
        return "BRIEFING_" + self.name.replace(".", "_").replace("-", "_").upper()


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {v!r}")


def _duration(v: Any) -> float:
    """Seconds from 90, "90s", "30m", "1h", "1h30m"."""
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v).strip().lower()
    total, num = 0.0, ""
    units = {"h": 3600, "m": 60, "s": 1, "d": 86400}
    for ch in s:
        if ch.isdigit() or ch == ".":
            num += ch
        elif ch in units and num:
            total += float(num) * units[ch]
            num = ""
        else:
            raise ValueError(f"not a duration: {v!r} (use e.g. 90s, 30m, 1h)")
    if num:
        total += float(num)
    return total


def day(value: str, what: str = "date") -> str:
    """An ISO date (YYYY-MM-DD) from the user, or a ConfigError saying how to write it."""
    from datetime import date

    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ConfigError(f"bad {what} {value!r}", hint="use YYYY-MM-DD, e.g. 2026-11-25") from None


SETTINGS: list[Setting] = [
    Setting("site.dir", "", "Where the local press site is written (default: <home>/site)."),
    Setting("cache.dir", "", "Where the joined speech model is cached (default: <home>/cache)."),
    Setting("site.title", "Press briefings", "Title of the press site."),
    Setting("site.base_url", "", "Public URL of the site root, used for absolute links in feeds."),
    Setting("site.language", "en", "Language of the site's index page (vi or en)."),
    Setting("organization.name", "Government Press Office", "Name of the organization publishing."),
    Setting("organization.contact", "", "Contact (email) of the press office."),
    Setting("briefing.title", "Press briefing", "Default title of a briefing."),
    Setting("briefing.language", "auto", "Default language of briefings (ISO 639-1 code, or auto)."),
    Setting("transcribe.model", "base", "Whisper model: base (bundled), a model directory, or a model name."),
    Setting("transcribe.device", "auto", "auto (CUDA if available, else CPU), cpu or cuda."),
    Setting("transcribe.compute_type", "auto", "auto (float16 on CUDA, int8 on CPU), int8, float16, float32."),
    Setting("transcribe.beam_size", 5, "Beam size for decoding.", int),
    Setting("transcribe.cpu_threads", 0, "CPU threads for recognition (0 = all cores).", int),
    Setting("transcribe.streams", 0, "Parts of a long recording decoded side by side in batches "
            "(0 = by length, 1 = one after another).", int),
    Setting("summary.sentences", 5, "How many sentences the extractive summary keeps.", int),
    Setting("media.video_height", 720, "Maximum height of the published video.", int),
]

_BY_NAME = {s.name: s for s in SETTINGS}


def register(*settings: Setting) -> None:
    """Let other modules of the application declare their settings."""
    for s in settings:
        if s.name not in _BY_NAME:
            SETTINGS.append(s)
            _BY_NAME[s.name] = s


def default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "briefing"


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    raw = home or os.environ.get("BRIEFING_HOME")
    return Path(raw).expanduser().resolve() if raw else default_home()


def ensure_home(home: Path) -> Path:
    """Create the home if needed and check that it can be written."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise HomeError(
            f"cannot write to BRIEFING_HOME {home} ({reason})",
            hint="choose a writable directory with --home or BRIEFING_HOME",
        ) from None
    return home


@dataclass
class Settings:
    home: Path
    values: dict[str, Any]
    sources: dict[str, str]
    raw: dict[str, Any]  # the whole parsed briefing.toml, for structured sections (targets, channels ...)

    def __getitem__(self, name: str) -> Any:
        if name not in self.values:
            setting = _BY_NAME.get(name)
            if setting is None:
                raise KeyError(name)
            self.values[name], self.sources[name] = _lookup(setting, self.raw, {})
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    @property
    def site_dir(self) -> Path:
        d = self["site.dir"]
        return Path(d).expanduser() if d else self.home / "site"

    @property
    def store_path(self) -> Path:
        return self.home / "briefing.db"

    @property
    def workspace(self) -> Path:
        return self.home / "briefings"

    @property
    def cache_dir(self) -> Path:
        d = self["cache.dir"]
        return Path(d).expanduser() if d else self.home / "cache"

    def section(self, dotted: str) -> Any:
        node: Any = self.raw
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def describe(self) -> list[dict[str, Any]]:
        out = []
        for s in SETTINGS:
            value = self[s.name]
            shown = ("***" if value else "") if s.secret else value
            out.append({"name": s.name, "value": shown, "source": self.sources[s.name], "env": s.env,
                        "help": s.help})
        return out


def _from_toml(raw: dict[str, Any], name: str) -> tuple[bool, Any]:
    node: Any = raw
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _lookup(s: Setting, raw: dict[str, Any], overrides: dict[str, Any]) -> tuple[Any, str]:
    def conv(v: Any, where: str) -> Any:
        try:
            return s.type(v)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad value for {s.name} from {where}: {exc}", hint="fix the value") from None

    if overrides.get(s.name) is not None:
        return conv(overrides[s.name], "the command line"), "flag"
    if s.env in os.environ:
        return conv(os.environ[s.env], s.env), "env"
    if s.secret and s.env + "_FILE" in os.environ:
        path = Path(os.environ[s.env + "_FILE"])
        try:
            return conv(path.read_text().strip(), str(path)), "file"
        except OSError as exc:
            raise ConfigError(f"cannot read {s.env}_FILE {path}: {exc.strerror}",
                              hint="point it at a readable file") from None
    found, v = _from_toml(raw, s.name)
    if found:
        if s.secret:
            raise ConfigError(
                f"{s.name} is a secret and must not be written in briefing.toml",
                hint=f"remove it and set {s.env} (or {s.env}_FILE) in the environment",
            )
        return conv(v, "briefing.toml"), "briefing.toml"
    return s.default, "default"


def load_settings(home: str | os.PathLike[str] | None = None, *, overrides: dict[str, Any] | None = None,
                  create: bool = True) -> Settings:
    home_path = resolve_home(home)
    if create:
        ensure_home(home_path)
    raw: dict[str, Any] = {}
    cfg = home_path / "briefing.toml"
    if cfg.exists():
        try:
            raw = tomllib.loads(cfg.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{cfg} is not valid TOML: {exc}", hint="fix the file or move it away") from None
    overrides = overrides or {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        values[s.name], sources[s.name] = _lookup(s, raw, overrides)
    return Settings(home=home_path, values=values, sources=sources, raw=raw)


duration = _duration
boolean = _bool
