"""The desk's words in English and Vietnamese. ``JS`` names the ones the editor's script needs."""

from __future__ import annotations

LANGS = ("en", "vi")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "desk": "Review desk", "login": "Log in", "logout": "Log out", "user": "Account", "password": "Password",
        "login_failed": "Wrong account name or password.",
        "login_slowed": "Too many failed logins: wait {s} seconds, then try again.",
        "link_used": "This login link was already used or is wrong: ask for a new one (restart the desk).",
        "queue": "Briefings", "filter": "Filter", "all_states": "All states", "state_new": "not reviewed",
        "state_draft": "draft saved", "state_published": "published v{v}", "date": "Date", "title": "Title",
        "state": "State", "low": "Unsure segments", "guards": "Guard removals", "redactions": "Redactions",
        "glossary": "Glossary fixes", "open": "Open", "none": "No briefing has a transcript yet.",
        "signed_in": "Signed in as {u} ({r})", "role_reviewer": "reviewer", "role_publisher": "publisher",
        "follow": "Follow playback", "pause_typing": "Typing pauses playback", "speed": "Speed",
        "keys": "Keys: Ctrl+K play/pause · Ctrl+J back 5 s · Ctrl+, slower · Ctrl+. faster · "
                "Alt+↓/Alt+↑ next/previous flagged · Enter split · Backspace at start merge",
        "saved": "Draft saved (version {v})", "saving": "Saving…", "unsaved": "Unsaved changes",
        "save_failed": "Not saved: {e}", "conflict": "Not saved: {a} saved a newer draft (version {v}) at {t}. "
        "Your text is kept, here and on the server (refused save #{r}). Compare them below.",
        "take_theirs": "Load their draft", "keep_mine": "Save mine over theirs", "diff": "Changes against the published version",
        "no_changes": "No changes against the published version.", "publish": "Publish correction",
        "note": "Change note (required, shown on the page)", "notify": "Tell the press channels",
        "published": "Published version {v}: {l}", "publish_failed": "Not published: {e}",
        "need_note": "Write a change note first.", "speaker": "Speaker", "new_speaker": "Other…",
        "new_speaker_prompt": "Name of the speaker", "split": "Split", "merge": "Merge with previous",
        "guard": "guard", "redacted": "redacted", "glossary_fix": "glossary", "unsure": "unsure",
        "theirs": "Their draft", "yours": "Yours", "back": "All briefings", "no_media": "No video or audio.",
        "reviewer_cannot_publish": "Only a publisher may publish; your drafts are saved for one.",
        "draft_from": "A draft is waiting ({src}).", "not_found": "Not found.", "forbidden": "Not allowed.",
        "language": "Tiếng Việt", "play": "Play", "flagged_next": "Next flagged", "flagged_prev": "Previous flagged",
    },
    "vi": {
        "desk": "Bàn biên tập", "login": "Đăng nhập", "logout": "Đăng xuất", "user": "Tài khoản",
        "password": "Mật khẩu", "login_failed": "Sai tên tài khoản hoặc mật khẩu.",
        "login_slowed": "Đăng nhập sai quá nhiều lần: hãy chờ {s} giây rồi thử lại.",
        "link_used": "Liên kết đăng nhập này đã được dùng hoặc không đúng: hãy xin liên kết mới (khởi động lại).",
        "queue": "Các buổi họp báo", "filter": "Lọc", "all_states": "Mọi trạng thái", "state_new": "chưa duyệt",
        "state_draft": "đã lưu bản nháp", "state_published": "đã đăng v{v}", "date": "Ngày", "title": "Tiêu đề",
        "state": "Trạng thái", "low": "Đoạn chưa chắc", "guards": "Đoạn bị loại", "redactions": "Che dữ liệu",
        "glossary": "Sửa theo thuật ngữ", "open": "Mở", "none": "Chưa có buổi họp báo nào có bản ghi.",
        "signed_in": "Đăng nhập: {u} ({r})", "role_reviewer": "biên tập viên", "role_publisher": "người đăng",
        "follow": "Theo dõi khi phát", "pause_typing": "Gõ phím thì tạm dừng", "speed": "Tốc độ",
        "keys": "Phím: Ctrl+K phát/dừng · Ctrl+J lùi 5 giây · Ctrl+, chậm hơn · Ctrl+. nhanh hơn · "
                "Alt+↓/Alt+↑ chỗ cần xem tiếp/trước · Enter tách · Backspace ở đầu đoạn gộp",
        "saved": "Đã lưu bản nháp (phiên bản {v})", "saving": "Đang lưu…", "unsaved": "Có thay đổi chưa lưu",
        "save_failed": "Chưa lưu: {e}", "conflict": "Chưa lưu: {a} đã lưu bản nháp mới hơn (phiên bản {v}) lúc {t}. "
        "Văn bản của bạn vẫn được giữ, ở đây và trên máy chủ (lần lưu bị từ chối #{r}). Hãy so sánh bên dưới.",
        "take_theirs": "Tải bản nháp của họ", "keep_mine": "Lưu bản của tôi đè lên", "diff": "Thay đổi so với bản đã đăng",
        "no_changes": "Không có thay đổi so với bản đã đăng.", "publish": "Đăng bản đính chính",
        "note": "Ghi chú thay đổi (bắt buộc, hiện trên trang)", "notify": "Báo cho các kênh báo chí",
        "published": "Đã đăng phiên bản {v}: {l}", "publish_failed": "Chưa đăng: {e}",
        "need_note": "Hãy viết ghi chú thay đổi trước.", "speaker": "Người nói", "new_speaker": "Người khác…",
        "new_speaker_prompt": "Tên người nói", "split": "Tách", "merge": "Gộp với đoạn trước",
        "guard": "bộ lọc", "redacted": "đã che", "glossary_fix": "thuật ngữ", "unsure": "chưa chắc",
        "theirs": "Bản nháp của họ", "yours": "Của bạn", "back": "Mọi buổi họp báo", "no_media": "Không có video hay âm thanh.",
        "reviewer_cannot_publish": "Chỉ người đăng mới được đăng; bản nháp của bạn đã được lưu.",
        "draft_from": "Có một bản nháp đang chờ ({src}).", "not_found": "Không tìm thấy.", "forbidden": "Không được phép.",
        "language": "English", "play": "Phát", "flagged_next": "Chỗ cần xem tiếp", "flagged_prev": "Chỗ cần xem trước",
    },
}

JS = ("saved", "saving", "unsaved", "save_failed", "conflict", "published", "publish_failed", "need_note",
      "new_speaker", "new_speaker_prompt", "guard", "redacted", "glossary_fix", "unsure", "theirs", "yours",
      "no_changes", "speaker", "split", "merge")


def words(lang: str) -> dict[str, str]:
    return STRINGS.get(lang, STRINGS["en"])


def pick(lang: str | None) -> str:
    """vi for Vietnamese, en for everything else."""
    return "vi" if (lang or "").lower().startswith("vi") else "en"
