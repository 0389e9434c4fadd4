"""Settings, declared as data.

Precedence: command-line flag > ``BRIEFING_*`` environment variable > ``briefing.toml`` in the home >
default. Secrets are read only from the environment, or from a file named by ``<VAR>_FILE``; a secret in
briefing.toml is refused. ``briefing settings`` shows every value and where it came from (secrets masked).

Each area of the application reads its settings through a typed, frozen options class declared next to
where the area registers them, built once per ``Settings`` (see ``Area``)::

    class LiveSettings(config.Area, area="live"):
        enabled: bool
        wait: float

    LiveSettings.of(settings).wait      # never settings["live.wait"]
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self, cast, dataclass_transform

from briefing.core.errors import ConfigError, HomeError, InputError
from briefing.core.results import Result
from briefing.core.text import check


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


_DURATION_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|d|h|m|s)?")
DURATION_HINT = "use e.g. 90s, 30m or 1h30m"


def duration(v: Any) -> float:
    """The project's one duration parser: seconds from a number (``90``, ``1.5``) or a text of numbers
    with units ``d``, ``h``, ``m``, ``s``, ``ms`` (``"90"``, ``"90s"``, ``"30m"``, ``"1h30m"``, ``"1h 30m"``,
    ``"1.5h"``, ``"500ms"``, ``"2d"``; case and spaces do not matter; a number without a unit is seconds;
    an empty text is 0). Anything else: ValueError, one line saying how to write it."""
    if isinstance(v, bool):
        raise ValueError(f"not a duration: {v!r} ({DURATION_HINT})")
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v).strip().lower()
    total, pos = 0.0, 0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if not m or (m.group(2) is None and m.end() < len(s)):
            raise ValueError(f"not a duration: {v!r} ({DURATION_HINT})")
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2) or "s"]
        pos = m.end()
    return total


def _text(v: Any) -> str:
    """A line of text that ends up on pages, feeds and terminals: no control characters, at most 200."""
    try:
        return check(str(v), "it")
    except InputError as exc:
        raise ValueError(exc.message.removeprefix("it ")) from None


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
    Setting("site.title", "Press briefings", "Title of the press site.", _text),
    Setting("site.base_url", "", "Public URL of the site root, used for absolute links in feeds."),
    Setting("site.language", "en", "Language of the site's index page (vi or en)."),
    Setting("organization.name", "Government Press Office", "Name of the organization publishing.", _text),
    Setting("organization.contact", "", "Contact (email) of the press office.", _text),
    Setting("briefing.title", "Press briefing", "Default title of a briefing.", _text),
    Setting("briefing.language", "auto", "Default language of briefings (ISO 639-1 code, or auto)."),
    Setting("transcribe.model", "base", "Whisper model: base (bundled), a model directory, or a model name."),
    Setting("transcribe.device", "auto", "auto (CUDA if available, else CPU), cpu or cuda."),
    Setting("transcribe.compute_type", "auto", "auto (float16 on CUDA, int8 on CPU), int8, float16, float32."),
    Setting("transcribe.beam_size", 5, "Beam size for decoding.", int),
    Setting("transcribe.cpu_threads", 0, "CPU threads for recognition (0 = all cores).", int),
    Setting(
        "transcribe.streams",
        0,
        "Parts of a long recording decoded side by side in batches (0 = by length, 1 = one after another).",
        int,
    ),
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
    # the options object of each Area class, built on first use (Area.of)
    areas: dict[type[Area], Area] = field(default_factory=dict, repr=False, compare=False)

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
        d = SiteSettings.of(self).dir
        return Path(d).expanduser() if d else self.home / "site"

    @property
    def store_path(self) -> Path:
        return self.home / "briefing.db"

    @property
    def workspace(self) -> Path:
        return self.home / "briefings"

    @property
    def cache_dir(self) -> Path:
        d = CacheSettings.of(self).dir
        return Path(d).expanduser() if d else self.home / "cache"

    def section(self, dotted: str) -> Any:
        node: Any = self.raw
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def describe(self) -> list[SettingRow]:
        out = []
        for s in SETTINGS:
            value = self[s.name]
            shown = ("***" if value else "") if s.secret else value
            out.append(SettingRow(s.name, shown, self.sources[s.name], s.env, s.help))
        return out


@dataclass(frozen=True)
class SettingRow(Result):
    """A setting as `briefing settings` shows it: its value (a secret masked), where it came from."""

    name: str
    value: Any
    source: str
    env: str
    help: str


# The Area class that reads each setting (name -> class), filled as the classes are declared.
AREAS: dict[str, type[Area]] = {}


@dataclass_transform(frozen_default=True)
class Area:
    """Base of an area's typed, frozen options: one field per setting of the area, named as in the registry
    (``area="live"`` and field ``wait`` read ``live.wait``; ``area=""`` reads a top-level setting; a trailing
    ``_`` is dropped, so ``from_`` reads ``smtp.from``). Declaring a field that is not a registered setting,
    or one that another Area class already reads, is a TypeError when the module is imported.

    ``XSettings.of(settings)`` builds the object from a Settings once (cached on it: the same object each
    time), every value converted by the registry's type (defaults included) and checked against the field's
    annotation. Secrets show as ``'***'`` in its repr."""

    _area: ClassVar[str]
    _names: ClassVar[dict[str, str]]  # field -> setting name

    def __init_subclass__(cls, *, area: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names: dict[str, str] = {}
        for attr in cls.__dict__.get("__annotations__", {}):
            name = f"{area}.{attr.rstrip('_')}" if area else attr.rstrip("_")
            if name not in _BY_NAME:
                raise TypeError(
                    f"{cls.__qualname__}.{attr}: {name} is not a registered setting "
                    "(register it with config.register before declaring its Area)"
                )
            if name in AREAS:
                raise TypeError(f"{cls.__qualname__}.{attr}: {name} is already read by {AREAS[name].__qualname__}")
            names[attr] = name
        if not names:
            raise TypeError(f"{cls.__qualname__} declares no settings")
        cls._area, cls._names = area, names
        dataclasses.dataclass(frozen=True, repr=False)(cls)
        for name in names.values():
            AREAS[name] = cls

    @classmethod
    def of(cls, settings: Settings) -> Self:
        """The options of this area in ``settings``: built on the first call, the same object afterwards."""
        built = settings.areas.get(cls)
        if built is None:
            built = settings.areas[cls] = cls._build(settings)
        return cast(Self, built)

    @classmethod
    def _build(cls, settings: Settings) -> Self:
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for attr, name in cls._names.items():
            value = settings[name]
            if settings.sources.get(name) == "default":  # what came from elsewhere is converted already
                value = _BY_NAME[name].type(value)
            values[attr] = _checked(f"{cls.__qualname__}.{attr}", hints[attr], value)
        return cls(**values)

    def __repr__(self) -> str:
        shown = []
        for attr, name in self._names.items():
            value = getattr(self, attr)
            shown.append(f"{attr}={('***' if value else '') if _BY_NAME[name].secret else value!r}")
        return f"{type(self).__qualname__}({', '.join(shown)})"


def _checked(where: str, hint: Any, value: Any) -> Any:
    """``value`` if it has the annotated type (an int stands for a float); else a TypeError, a bug."""
    origin = typing.get_origin(hint) or hint
    if origin is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(origin, type) and not isinstance(value, origin):
        raise TypeError(f"{where} is annotated {hint} but the registry's type gives {type(value).__name__}")
    return value


class SiteSettings(Area, area="site"):
    dir: str
    title: str
    base_url: str
    language: str


class CacheSettings(Area, area="cache"):
    dir: str


class OrganizationSettings(Area, area="organization"):
    name: str
    contact: str


class BriefingSettings(Area, area="briefing"):
    """Defaults of a new briefing."""

    title: str
    language: str


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
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"cannot read {s.env}_FILE {path}: {getattr(exc, 'strerror', None) or exc}",
                hint="point it at a readable UTF-8 file",
            ) from None
        if not text:  # an empty secret file is a mistake: never fall back to "no secret" silently
            raise ConfigError(f"{s.env}_FILE {path} is empty", hint=f"write the secret into it, or unset {s.env}_FILE")
        return conv(text, str(path)), "file"
    found, v = _from_toml(raw, s.name)
    if found:
        if s.secret:
            raise ConfigError(
                f"{s.name} is a secret and must not be written in briefing.toml",
                hint=f"remove it and set {s.env} (or {s.env}_FILE) in the environment",
            )
        return conv(v, "briefing.toml"), "briefing.toml"
    return s.default, "default"


# Tables of briefing.toml read as a whole by the module named, not as single settings.
SECTIONS: tuple[str, ...] = (
    "publish.targets",
    "publish.channels",
    "publish.email",
    "press_lists",
    "glossary",
    "redact.patterns",
    "redact.disable",
    "redact.pad",
    "retention",
)
# The modules that declare settings with register(): imported before briefing.toml is checked.
DECLARING_MODULES = (
    "briefing.core.locks",
    "briefing.meeting.jitsi",
    "briefing.meeting.invite",
    "briefing.meeting.schedule",
    "briefing.press.distribute",
    "briefing.press.embargo",
    "briefing.records.archive",
    "briefing.processing.speech",
    "briefing.processing.media",
    "briefing.processing.review",
    "briefing.processing.live",
    "briefing.processing.pipeline",
    "briefing.recording.record",
    "briefing.recording.daily",
    "briefing.cluster.conf",
)


def register_section(*dotted: str) -> None:
    """Let a module declare a table of briefing.toml that it reads whole (e.g. [press_lists])."""
    global SECTIONS
    SECTIONS = tuple(dict.fromkeys((*SECTIONS, *dotted)))


def _known_names() -> tuple[set[str], set[str]]:
    import importlib

    for mod in DECLARING_MODULES:
        try:
            importlib.import_module(mod)
        except ImportError:  # noqa: PERF203 - a module that cannot load declares nothing to check against
            pass
    return set(_BY_NAME), set(SECTIONS)


def _nearest(name: str, known: list[str]) -> str | None:
    import difflib

    lowered = {k.lower(): k for k in known}
    hit = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    if hit:
        return lowered[hit[0]]
    leaf = name.rsplit(".", 1)[-1].lower()  # APP_SECRET at the top level: jitsi.app_secret
    leaves: dict[str, str] = {}
    for k in known:
        leaves.setdefault(k.rsplit(".", 1)[-1].lower(), k)
    hit = difflib.get_close_matches(leaf, list(leaves), n=1, cutoff=0.75)
    return leaves[hit[0]] if hit else None


def check_toml(raw: dict[str, Any], cfg: Path) -> None:
    """ConfigError for a key of briefing.toml that no setting or table has, naming the nearest known one."""
    names, sections = _known_names()
    prefixes = {".".join(n.split(".")[:i]) for n in names | sections for i in range(1, n.count(".") + 1)}

    def walk(node: dict[str, Any], base: str) -> None:
        for key, value in node.items():
            dotted = f"{base}.{key}" if base else str(key)
            if dotted in names or dotted in sections:
                continue
            if dotted in prefixes and isinstance(value, dict):
                walk(value, dotted)
                continue
            probe = dotted
            while isinstance(value, dict) and value:  # an unknown table: match on the setting inside it
                key0 = next(iter(value))
                probe, value = f"{probe}.{key0}", value[key0]
            near = _nearest(probe, sorted(names | sections))
            hint = "remove it or fix its name (`briefing settings` lists them all)"
            if near:
                setting = _BY_NAME.get(near)
                hint = f"did you mean {near}?"
                if setting is not None and setting.secret:
                    hint += f" It is a secret: set {setting.env} (or {setting.env}_FILE) in the environment"
            where = f"[{base}] {key}" if base else str(key)
            raise ConfigError(f"unknown setting {where} in {cfg}", hint=hint)

    walk(raw, "")


def load_settings(
    home: str | os.PathLike[str] | None = None, *, overrides: dict[str, Any] | None = None, create: bool = True
) -> Settings:
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
        check_toml(raw, cfg)
    overrides = overrides or {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        values[s.name], sources[s.name] = _lookup(s, raw, overrides)
    return Settings(home=home_path, values=values, sources=sources, raw=raw)


boolean = _bool
