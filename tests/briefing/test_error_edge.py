"""The one error edge (briefing/errors.py), in the style of httpx's completeness test: every exception class
the libraries (recorder/, transcribe/, publish/) define has one base per library and is converted, by class,
to the right BriefingError subclass with its message and hint kept; the vendor errors their call sites meet
(botocore, ctranslate2/faster-whisper's RuntimeError, av/OSError, MemoryError) become library errors that
convert the same way; a full disk is a DiskFullError wherever it surfaces."""

from __future__ import annotations

import errno
import importlib
import inspect
import os
import pkgutil
from pathlib import Path

import pytest

from briefing.core import errors
from briefing.core.errors import (
    ArchiveError,
    BriefingError,
    ConfigError,
    DiskFullError,
    InputError,
    JitsiError,
    ModelError,
    PublishError,
    ToolMissingError,
    TranscriptionError,
)

LIBRARIES = {
    "recorder": "recorder.errors.RecorderError",
    "transcribe": "transcribe.errors.TranscribeError",
    "publish": "publish.errors.PublishError",
}

# Every exception class of the libraries, by qualified name, and the BriefingError it must become. A new
# library error makes this test fail until it is given its place here (and in errors.library_errors).
EXPECTED: dict[str, type[BriefingError]] = {
    "recorder.errors.RecorderError": InputError,
    "recorder.errors.ToolNotFound": ToolMissingError,
    "recorder.errors.MediaError": InputError,
    "recorder.errors.FFmpegError": InputError,
    "recorder.capture.CaptureError": InputError,
    "recorder.capture.CaptureBusy": InputError,
    "recorder.jibri.JibriError": JitsiError,
    "recorder.jibri.JibriUnreachable": JitsiError,
    "recorder.jibri.JibriBusy": JitsiError,
    "recorder.jibri.JibriRejected": JitsiError,
    "recorder.jibri.JibriServerError": JitsiError,
    "transcribe.errors.TranscribeError": TranscriptionError,
    "transcribe.errors.ModelError": ModelError,
    "transcribe.errors.AudioError": InputError,
    "transcribe.errors.LanguageError": ConfigError,
    "transcribe.errors.EngineError": ConfigError,
    "transcribe.errors.LibraryChecksumError": ModelError,
    "transcribe.streams.Cancelled": TranscriptionError,
    "publish.errors.PublishError": PublishError,
    "publish.site.SiteError": PublishError,
    "publish.mail.MailError": PublishError,
    "publish.mail.MailUrlError": PublishError,
    "publish.mail.MailLoginError": PublishError,
    "publish.mail.MailRecipientsRefused": PublishError,
    "publish.targets.TargetError": PublishError,
    "publish.notify.NotifyError": PublishError,
    "publish.archive.ArchiveError": ArchiveError,
    "publish.manifest.ManifestError": PublishError,
    "publish.pack.PackError": PublishError,
}

MESSAGE = "cannot read /srv/x.wav: it is empty"
HINT = "record it again, then run `briefing process ID`"


def _library_exceptions() -> dict[str, type[BaseException]]:
    """Every BaseException subclass defined in a module of the three libraries (all modules imported)."""
    found: dict[str, type[BaseException]] = {}
    for name in LIBRARIES:
        pkg = importlib.import_module(name)
        mods = [pkg] + [importlib.import_module(m.name) for m in pkgutil.walk_packages(pkg.__path__, prefix=f"{name}.")]
        for mod in mods:
            for _, obj in inspect.getmembers(mod, inspect.isclass):
                if issubclass(obj, BaseException) and obj.__module__ == mod.__name__:
                    found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


ARGS = {
    "message": MESSAGE,
    "tool": "ffmpeg",
    "out_dir": Path("/srv/capture"),
    "pid": 4242,
    "recipients": ["a@b.example"],
}


def _make(cls: type[BaseException]) -> BaseException:
    """An instance built the way its call sites build it: its own required arguments, and a hint if it
    takes one."""
    params = inspect.signature(cls.__init__).parameters
    args = [
        ARGS[n] for n, p in params.items() if n != "self" and p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    kwargs = {"hint": HINT} if "hint" in params else {}
    return cls(*args, **kwargs)


def test_every_library_exception_is_listed_and_has_its_library_base() -> None:
    found = _library_exceptions()
    assert sorted(found) == sorted(EXPECTED), "a library error class is missing from EXPECTED (or gone)"
    for qual, cls in found.items():
        base = found[LIBRARIES[qual.split(".")[0]]]
        assert issubclass(cls, base), f"{qual} is not a {base.__name__}: each library has one base error"


@pytest.mark.parametrize("qual", sorted(EXPECTED))
def test_every_library_exception_converts_by_class_keeping_its_message(qual: str) -> None:
    cls = _library_exceptions()[qual]
    exc = _make(cls)
    mapped = errors.convert(exc)
    assert mapped is not None and type(mapped) is EXPECTED[qual], (qual, type(mapped))
    hint = getattr(exc, "hint", "")
    assert hint and str(mapped) in (str(exc), f"{exc} — {hint}"), (str(mapped), str(exc))  # message kept
    assert hint in str(mapped) and mapped.hint == hint
    # and through translated(), chained to the library's error
    with pytest.raises(EXPECTED[qual]) as info, errors.translated():
        raise exc
    assert info.value.__cause__ is exc and type(info.value) is EXPECTED[qual]


def test_a_look_alike_class_of_another_module_is_not_converted() -> None:
    """By class, not by name string: an error merely named like a library one passes through."""
    look_alike = type("ModelError", (Exception,), {"__module__": "transcribe.errors"})
    assert errors.convert(look_alike("x")) is None
    assert errors.convert(RuntimeError("x")) is None
    with pytest.raises(RuntimeError), errors.translated():
        raise RuntimeError("not ours")


def test_a_full_disk_is_a_disk_full_error_wherever_it_surfaces(tmp_path: Path) -> None:
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "site" / "index.html"))
    mapped = errors.convert(full)
    assert type(mapped) is DiskFullError and "index.html" in str(mapped)
    from publish.site import SiteError

    try:
        try:
            raise full
        except OSError as e:
            raise SiteError("cannot write the site") from e
    except SiteError as lib_exc:
        mapped = errors.convert(lib_exc)
    assert type(mapped) is DiskFullError and "the disk is full" in str(mapped)


# -- vendor errors, as the library call sites convert them ----------------------------------------------
def test_botocore_errors_from_the_archive_become_archive_errors() -> None:
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    from publish.archive import S3Archive

    archive = S3Archive("press-archive")
    for vendor in (
        ClientError({"Error": {"Code": "NoSuchBucket", "Message": "gone"}}, "PutObject"),
        ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObject"),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
        NoCredentialsError(),
    ):
        mapped = errors.convert(archive._fail("upload", vendor))
        assert type(mapped) is ArchiveError and "press-archive" in str(mapped), (vendor, mapped)


def test_botocore_errors_from_an_s3_target_are_explained_in_a_publish_error() -> None:
    from botocore.exceptions import ClientError, NoCredentialsError

    from publish import s3
    from publish.targets import TargetError

    target = s3.S3Target(name="www", bucket="press-site") if hasattr(s3, "S3Target") else None
    for vendor in (
        ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "PutObject"),
        NoCredentialsError(),
    ):
        why = s3._explain(vendor, target)  # type: ignore[arg-type]
        mapped = errors.convert(TargetError(f"S3 target www (bucket press-site): {why}"))
        assert type(mapped) is PublishError and why in str(mapped)


@pytest.mark.parametrize(
    "vendor, expected",
    [
        (RuntimeError("CUDA failed with error out of memory"), TranscriptionError),  # ctranslate2 at decode
        (OSError(errno.EIO, "Input/output error"), InputError),  # av / the file
        (EOFError("truncated"), InputError),
        (ValueError("'xx' is not a valid language code (...)"), ConfigError),
        (MemoryError(), TranscriptionError),
        ("av-invalid-data", InputError),  # PyAV (a ValueError, not an OSError): by its class, not its module name
    ],
)
def test_recognition_vendor_errors_become_transcribe_errors_that_convert(
    vendor: Exception, expected: type[BriefingError]
) -> None:
    from transcribe import whisper

    if vendor == "av-invalid-data":
        import av.error

        vendor = av.error.InvalidDataError(errno.EINVAL, "Invalid data found when processing input")
    lib_exc = whisper._convert(vendor, Path("/srv/briefing.wav"))
    mapped = errors.convert(lib_exc)
    assert type(mapped) is expected and str(lib_exc) in str(mapped)


def test_ctranslate2_refusing_a_damaged_model_is_a_model_error(tmp_path: Path) -> None:
    """The real faster-whisper/CTranslate2 load raises RuntimeError on a damaged model.bin; the library
    makes it its ModelError, and the edge a briefing ModelError with the library's hint."""
    from transcribe.whisper import WhisperTranscriber

    (tmp_path / "model.bin").write_bytes(b"not a model")
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelError) as info, errors.translated():
        WhisperTranscriber(tmp_path, device="cpu").load()
    assert "cannot load speech model" in str(info.value) and "damaged" in str(info.value)
    assert isinstance(info.value.__cause__.__cause__, RuntimeError)  # type: ignore[union-attr]


@pytest.fixture
def refused_url():
    """A loopback port bound but not listening: every connection is refused at once (no timing)."""
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    try:
        yield f"127.0.0.1:{s.getsockname()[1]}"
    finally:
        s.close()


def test_httpx_errors_at_the_jibri_call_site_become_jitsi_errors(refused_url: str) -> None:
    from recorder.jibri import JibriClient

    with pytest.raises(JitsiError, match="Jibri") as info, errors.translated():
        JibriClient(f"http://{refused_url}", timeout=5).health()
    assert "\n" not in str(info.value)


def test_httpx_errors_at_the_manifest_call_site_become_publish_errors(refused_url: str) -> None:
    from publish.manifest import _Fetcher

    with pytest.raises(PublishError, match="cannot fetch") as info, errors.translated():
        _Fetcher(timeout=5).get(f"http://{refused_url}/briefings/x/manifest.json")
    assert type(info.value) is PublishError and info.value.hint


def test_smtp_errors_at_the_mail_call_site_become_publish_errors(refused_url: str) -> None:
    from email.message import EmailMessage

    from publish import mail

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "press@gov.example", "a@b.example", "x"
    msg.set_content("x")
    with pytest.raises(PublishError, match="cannot reach the SMTP server") as info, errors.translated():
        mail.send(msg, f"smtp://{refused_url}", timeout=5)
    assert type(info.value) is PublishError and "BRIEFING_SMTP_URL" in str(info.value)
