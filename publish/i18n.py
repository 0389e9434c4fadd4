"""UI strings and number/date formatting for the press pages, per language (Vietnamese and English).

A page uses the language of its briefing; any language without a table falls back to English. Only the
*interface* is translated here: titles, summaries and transcripts are shown as they were published.
"""

from __future__ import annotations

from datetime import date, datetime

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "site_title": "Press briefings",
        "summary": "Summary",
        "key_figures": "Key figures",
        "figure": "Figure (as said)",
        "counts": "What it counts",
        "time": "Time",
        "transcript": "Transcript",
        "downloads": "Downloads",
        "speakers": "Speakers",
        "date": "Date",
        "duration": "Duration",
        "version": "Version",
        "versions": "Versions",
        "no_speech": "No speech detected",
        "no_speech_detail": "The recording was transcribed, but no speech was found in it.",
        "corrected_on": "Corrected on",
        "corrections": "Corrections",
        "previous_version": "previous version",
        "machine_translation": "Machine translation",
        "captions": "Captions",
        "low_confidence": "low confidence",
        "low_confidence_note": "Passages the speech recogniser was unsure of are marked with a dotted underline.",
        "automatic_transcript": "Automatic transcript",
        "estimated_times": "times per passage, estimated",
        "track_withheld": "The {label} machine translation is not offered: it came out with no text.",
        "confidence": "confidence",
        "may_contain_errors": "It may contain errors; check against the recording before quoting.",
        "video": "Video",
        "audio": "Audio",
        "poster": "Poster image",
        "srt": "Subtitles (SRT)",
        "vtt": "Subtitles (WebVTT)",
        "txt": "Transcript (plain text)",
        "json": "Transcript (JSON, with timings and confidence)",
        "summary_file": "Summary (Markdown)",
        "release_json": "Release metadata and SHA-256 checksums (JSON)",
        "track": "Subtitles",
        "all_briefings": "All briefings",
        "briefings": "Briefings",
        "no_briefings": "No briefings have been published yet.",
        "feeds": "Feeds",
        "rss": "RSS",
        "atom": "Atom",
        "json_index": "JSON index",
        "archived_version": "You are reading version {version} of this briefing, as published on {date}.",
        "latest_version": "Read the latest version",
        "current": "current",
        "published": "Published",
        "corrected": "corrected",
        "player_fallback": "Your browser cannot play this recording. Download it below.",
        "skip_to_content": "Skip to content",
        "jump_to": "Play from",
        "media_audio_only": "Audio only",
        "sha256": "SHA-256",
    },
    "vi": {
        "site_title": "Họp báo",
        "summary": "Tóm tắt",
        "key_figures": "Số liệu chính",
        "figure": "Số liệu (như được nói)",
        "counts": "Nội dung",
        "time": "Thời điểm",
        "transcript": "Bản ghi",
        "downloads": "Tải xuống",
        "speakers": "Người phát biểu",
        "date": "Ngày",
        "duration": "Thời lượng",
        "version": "Phiên bản",
        "versions": "Các phiên bản",
        "no_speech": "Không phát hiện lời nói",
        "no_speech_detail": "Bản ghi hình đã được xử lý nhưng không phát hiện lời nói nào.",
        "corrected_on": "Đính chính ngày",
        "corrections": "Đính chính",
        "previous_version": "phiên bản trước",
        "machine_translation": "Bản dịch máy",
        "captions": "Phụ đề",
        "low_confidence": "độ tin cậy thấp",
        "low_confidence_note": "Những đoạn hệ thống nhận dạng giọng nói không chắc chắn được gạch chân bằng dấu chấm.",
        "automatic_transcript": "Bản ghi tự động",
        "estimated_times": "thời gian theo từng đoạn, ước tính",
        "track_withheld": "Không cung cấp bản dịch máy {label}: bản dịch không có nội dung.",
        "confidence": "độ tin cậy",
        "may_contain_errors": "Bản ghi có thể có lỗi; hãy đối chiếu với bản ghi hình trước khi trích dẫn.",
        "video": "Video",
        "audio": "Âm thanh",
        "poster": "Ảnh đại diện",
        "srt": "Phụ đề (SRT)",
        "vtt": "Phụ đề (WebVTT)",
        "txt": "Bản ghi (văn bản thuần)",
        "json": "Bản ghi (JSON, kèm thời gian và độ tin cậy)",
        "summary_file": "Tóm tắt (Markdown)",
        "release_json": "Thông tin phát hành và mã kiểm tra SHA-256 (JSON)",
        "track": "Phụ đề",
        "all_briefings": "Tất cả các buổi họp báo",
        "briefings": "Các buổi họp báo",
        "no_briefings": "Chưa có buổi họp báo nào được công bố.",
        "feeds": "Nguồn tin",
        "rss": "RSS",
        "atom": "Atom",
        "json_index": "Chỉ mục JSON",
        "archived_version": "Bạn đang đọc phiên bản {version} của buổi họp báo này, công bố ngày {date}.",
        "latest_version": "Đọc phiên bản mới nhất",
        "current": "hiện tại",
        "published": "Công bố",
        "corrected": "đã đính chính",
        "player_fallback": "Trình duyệt của bạn không phát được bản ghi này. Hãy tải xuống ở bên dưới.",
        "skip_to_content": "Chuyển đến nội dung",
        "jump_to": "Phát từ",
        "media_audio_only": "Chỉ có âm thanh",
        "sha256": "SHA-256",
    },
}

_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def ui_language(language: str) -> str:
    """The UI language used for a content language: its own table if there is one, else English."""
    base = (language or "en").lower().replace("_", "-").split("-")[0]
    return base if base in STRINGS else "en"


def strings(language: str) -> dict[str, str]:
    """The UI strings for ``language``; keys missing in a table fall back to English."""
    lang = ui_language(language)
    return {**STRINGS["en"], **STRINGS[lang]}


def format_date(value: str | date | datetime, language: str) -> str:
    """A calendar date for people: ``25 November 2026`` / ``ngày 25 tháng 11 năm 2026``."""
    d = _parse_date(value)
    if d is None:
        return str(value)
    if ui_language(language) == "vi":
        return f"ngày {d.day} tháng {d.month} năm {d.year}"
    return f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


def format_datetime(value: str | datetime, language: str) -> str:
    """A date and time, shown in the offset it was recorded with (``25 November 2026, 14:30 UTC+07:00``)."""
    dt = value if isinstance(value, datetime) else _parse_datetime(value)
    if dt is None:
        return format_date(value, language) if value else ""
    zone = ""
    if dt.tzinfo is not None:
        off = dt.utcoffset()
        if off is not None:
            minutes = int(off.total_seconds() // 60)
            sign = "+" if minutes >= 0 else "-"
            minutes = abs(minutes)
            zone = " UTC" if minutes == 0 else f" UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    hhmm = f"{dt.hour:02d}:{dt.minute:02d}"
    if ui_language(language) == "vi":
        return f"{hhmm}{zone}, {format_date(dt.date(), language)}"
    return f"{format_date(dt.date(), language)}, {hhmm}{zone}"


def format_duration(seconds: float, language: str) -> str:
    """``1 h 02 min`` / ``1 giờ 02 phút``; under a minute: ``45 s`` / ``45 giây``."""
    seconds = max(0, int(round(seconds or 0)))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    vi = ui_language(language) == "vi"
    hu, mu, su = ("giờ", "phút", "giây") if vi else ("h", "min", "s")
    if h:
        return f"{h} {hu} {m:02d} {mu}"
    if m:
        return f"{m} {mu}" if not s else f"{m} {mu} {s:02d} {su}"
    return f"{s} {su}"


def format_size(size: int, language: str) -> str:
    """A file size in bytes, kB, MB or GB (decimal units), with the language's decimal separator."""
    size = int(size)
    if size < 1000:
        text = f"{size} B"
    else:
        value = float(size)
        for unit in ("kB", "MB", "GB", "TB"):
            value /= 1000.0
            if value < 1000 or unit == "TB":
                break
        text = f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    if ui_language(language) == "vi":
        text = text.replace(".", ",")
    return text


def format_number(value: float, language: str) -> str:
    """A number with thousands separators (``1,240.5`` / ``1.240,5``)."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")
    if ui_language(language) == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_timestamp(seconds: float, *, long: bool = False) -> str:
    """``02:03`` (or ``1:02:03`` when the recording runs an hour or more, or ``long`` is set)."""
    total = max(0, int(seconds or 0))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    if h or long:
        return f"{h}:{m:02d}:{s:02d}"
    return f"{m:02d}:{s:02d}"


def _parse_datetime(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


def _parse_date(value: str | date | datetime) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
