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
        "search": "Search",
        "search_unavailable": "The search of this site is not built yet. Every briefing is listed on the home page and in the archive.",
        "archive": "Archive",
        "archive_title": "Archive of briefings",
        "archive_month": "Briefings of {month}",
        "archive_older": "Older briefings are in the archive.",
        "json_feed": "JSON Feed",
        "site_nav": "Site",
        "copy_link": "Copy link",
        "copy_quote": "Copy quote",
        "copied": "Copied",
        "copy_failed": "Select and copy this text:",
        "clip_help": "Select a passage of the transcript to copy a link to it or a quote with its source.",
        "clip_playing": "Playing the linked passage",
        "embed": "Embed",
        "embed_code": "Code to embed the player",
        "open_page": "Open the briefing page",
        "press_pack": "Press pack (ZIP: video, audio, captions, transcript, summary, signed manifest)",
        "figures_title": "Figures over time",
        "figures_lede": "Each figure said in the briefings, briefing by briefing. Each point links to the moment it was said.",
        "figures_none": "No key figures have been published yet.",
        "figure_data": "Data",
        "figure_date": "Briefing",
        "figure_value": "Value",
        "figure_said": "As said",
        "download_csv": "CSV",
        "download_json": "JSON",
        "data_schema": "JSON Schema",
        "licence": "Licence",
        "chart_of": "Chart of {label} over the briefings",
        "schemas": "Data formats (JSON Schema)",
        "live_banner": "LIVE, UNVERIFIED",
        "live_status": "Live, unverified: automatic transcription while the briefing is in progress, updated {updated}. Do not quote it before the verified release.",
        "live_ended": "Ended",
        "live_ended_status": "The briefing has ended. This live text is superseded by the verified release: {link} (it appears there within a minute or two).",
        "live_title_suffix": "live, unverified",
        "live_transcribed": "transcribed",
        "live_pause": "Pause automatic updates",
        "live_resume": "Resume automatic updates",
        "live_reload": "Reload now",
        "embargoed_until": "EMBARGOED UNTIL {time}",
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
        "search": "Tìm kiếm",
        "search_unavailable": "Chức năng tìm kiếm của trang chưa được tạo. Mọi buổi họp báo đều có trong trang chủ và mục lưu trữ.",
        "archive": "Lưu trữ",
        "archive_title": "Lưu trữ các buổi họp báo",
        "archive_month": "Các buổi họp báo {month}",
        "archive_older": "Các buổi họp báo cũ hơn có trong mục lưu trữ.",
        "json_feed": "JSON Feed",
        "site_nav": "Trang",
        "copy_link": "Sao chép liên kết",
        "copy_quote": "Sao chép trích dẫn",
        "copied": "Đã sao chép",
        "copy_failed": "Hãy chọn và sao chép đoạn này:",
        "clip_help": "Chọn một đoạn trong bản ghi để sao chép liên kết đến đoạn đó hoặc trích dẫn kèm nguồn.",
        "clip_playing": "Đang phát đoạn được liên kết",
        "embed": "Nhúng",
        "embed_code": "Mã để nhúng trình phát",
        "open_page": "Mở trang buổi họp báo",
        "press_pack": "Bộ tài liệu báo chí (ZIP: video, âm thanh, phụ đề, bản ghi, tóm tắt, bản kê đã ký)",
        "figures_title": "Số liệu theo thời gian",
        "figures_lede": "Từng số liệu được nêu trong các buổi họp báo, theo từng buổi. Mỗi điểm liên kết đến thời điểm số liệu được nói.",
        "figures_none": "Chưa có số liệu chính nào được công bố.",
        "figure_data": "Dữ liệu",
        "figure_date": "Buổi họp báo",
        "figure_value": "Giá trị",
        "figure_said": "Như được nói",
        "download_csv": "CSV",
        "download_json": "JSON",
        "data_schema": "JSON Schema",
        "licence": "Giấy phép",
        "chart_of": "Biểu đồ {label} qua các buổi họp báo",
        "schemas": "Định dạng dữ liệu (JSON Schema)",
        "live_banner": "TRỰC TIẾP, CHƯA KIỂM CHỨNG",
        "live_status": "Trực tiếp, chưa kiểm chứng: bản ghi tự động trong khi buổi họp báo đang diễn ra, cập nhật lúc {updated}. Không trích dẫn trước khi có bản chính thức.",
        "live_ended": "Đã kết thúc",
        "live_ended_status": "Buổi họp báo đã kết thúc. Bản ghi trực tiếp này được thay bằng bản chính thức: {link} (sẽ xuất hiện trong một, hai phút).",
        "live_title_suffix": "trực tiếp, chưa kiểm chứng",
        "live_transcribed": "đã ghi",
        "live_pause": "Tạm dừng tự động cập nhật",
        "live_resume": "Tiếp tục tự động cập nhật",
        "live_reload": "Tải lại ngay",
        "embargoed_until": "CẤM ĐĂNG TRƯỚC {time}",
    },
}

_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def ui_language(language: str) -> str:
    """The UI language used for a content language: its own table if there is one, else English."""
    base = (language or "en").lower().replace("_", "-").split("-")[0]
    return base if base in STRINGS else "en"


DEFAULT_SITE_TITLE = "Press briefings"


def site_title(title: str, language: str) -> str:
    """The site's title in its language: the default title is the UI table's (Họp báo on a vi site)."""
    if not title or title == DEFAULT_SITE_TITLE:
        return strings(language)["site_title"]
    return title


def month_name(year_month: str, language: str) -> str:
    """``2026-11`` → ``November 2026`` / ``tháng 11 năm 2026``."""
    y, _, m = year_month.partition("-")
    if not (y.isdigit() and m.isdigit() and 1 <= int(m) <= 12):
        return year_month
    if ui_language(language) == "vi":
        return f"tháng {int(m)} năm {y}"
    return f"{_EN_MONTHS[int(m) - 1]} {y}"


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
