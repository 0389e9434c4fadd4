from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from transcribe.errors import ModelError
from transcribe.model import (
    BUNDLED_MODEL_SHA256,
    BUNDLED_MODEL_SIZE,
    MARKER,
    bundled_model_files,
    ensure_bundled_model,
    join_model,
    resolve_model,
    sha256_file,
)


def test_bundled_packages_are_found():
    files = bundled_model_files()
    assert set(files) == {"model.bin.part1", "model.bin.part2", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert files["model.bin.part1"].stat().st_size + files["model.bin.part2"].stat().st_size == BUNDLED_MODEL_SIZE


def test_joined_model_matches_pinned_hash(bundled_model_dir: Path):
    assert bundled_model_dir.name == "whisper-base-" + BUNDLED_MODEL_SHA256[:12]
    assert (bundled_model_dir / "model.bin").stat().st_size == BUNDLED_MODEL_SIZE
    assert sha256_file(bundled_model_dir / "model.bin") == BUNDLED_MODEL_SHA256
    assert (bundled_model_dir / MARKER).read_text().strip() == BUNDLED_MODEL_SHA256
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (bundled_model_dir / name).is_file()
    assert not [p for p in bundled_model_dir.parent.iterdir() if p.name.startswith(".") and p.is_dir()]


def test_cache_hit_does_not_rebuild(tmp_path: Path):
    d = ensure_bundled_model(tmp_path)
    before = (d / "model.bin").stat().st_mtime_ns
    assert ensure_bundled_model(tmp_path) == d
    assert (d / "model.bin").stat().st_mtime_ns == before
    assert resolve_model("base", tmp_path) == d
    assert resolve_model("bundled", tmp_path) == d


def test_damaged_cache_is_detected_and_rebuilt(tmp_path: Path):
    d = ensure_bundled_model(tmp_path)
    # truncated: caught by the cheap size check
    with open(d / "model.bin", "r+b") as f:
        f.truncate(1000)
    assert ensure_bundled_model(tmp_path) == d
    assert (d / "model.bin").stat().st_size == BUNDLED_MODEL_SIZE
    # same size, one byte flipped: caught when verifying
    with open(d / "model.bin", "r+b") as f:
        f.seek(5_000_000)
        b = f.read(1)
        f.seek(5_000_000)
        f.write(bytes([b[0] ^ 0xFF]))
    assert sha256_file(d / "model.bin") != BUNDLED_MODEL_SHA256
    assert ensure_bundled_model(tmp_path, verify=True) == d
    assert sha256_file(d / "model.bin") == BUNDLED_MODEL_SHA256


def test_corrupted_part_is_refused(tmp_path: Path):
    files = bundled_model_files()
    bad = tmp_path / "model.bin.part2"
    shutil.copyfile(files["model.bin.part2"], bad)
    with open(bad, "r+b") as f:
        f.seek(1234)
        b = f.read(1)
        f.seek(1234)
        f.write(bytes([b[0] ^ 0x01]))
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match="SHA-256") as exc:
        ensure_bundled_model(cache, files={**files, "model.bin.part2": bad})
    assert "reinstall" in exc.value.hint
    assert not (cache / ("whisper-base-" + BUNDLED_MODEL_SHA256[:12])).exists()
    assert not [p for p in cache.iterdir() if not p.name.endswith(".lock")]  # no temporary left behind


def test_truncated_part_is_refused(tmp_path: Path):
    files = bundled_model_files()
    with pytest.raises(ModelError, match="bytes"):
        join_model([files["model.bin.part1"]], tmp_path / "model.bin")
    assert not (tmp_path / "model.bin").exists()


def test_concurrent_builds_agree(tmp_path: Path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(3) as ex:
        dirs = list(ex.map(lambda _: ensure_bundled_model(tmp_path), range(3)))
    assert len(set(dirs)) == 1
    assert (dirs[0] / "model.bin").stat().st_size == BUNDLED_MODEL_SIZE


def test_resolve_model_specs(tmp_path: Path):
    model_dir = tmp_path / "my-model"
    model_dir.mkdir()
    with pytest.raises(ModelError, match="model.bin"):
        resolve_model(str(model_dir), tmp_path)
    (model_dir / "model.bin").write_bytes(b"x")
    assert resolve_model(str(model_dir), tmp_path) == model_dir
    with pytest.raises(ModelError, match="not found"):
        resolve_model(str(tmp_path / "missing"), tmp_path)
    with pytest.raises(ModelError):
        resolve_model("", tmp_path)
    assert resolve_model("large-v3", tmp_path) == "large-v3"
    assert resolve_model("Systran/faster-whisper-small", tmp_path) == "Systran/faster-whisper-small"
