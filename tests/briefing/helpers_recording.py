"""Jibri's per-session recording directories, built for the ingest / daily tests."""

from __future__ import annotations

import json
from pathlib import Path

from tests.recorder.media import make_video_with_speech

BID = "2026-11-25-daily-press-briefing"
ROOM = "daily-press-briefing-k3x9q2"


def jibri_session_dir(base: Path, session_id: str = BID, *, room: str = ROOM) -> Path:
    """A per-session directory as Jibri leaves it: <room>_<local time>.mp4 and metadata.json."""
    d = base / session_id
    make_video_with_speech(d / f"{room}_2026-11-25-09-00-03.mp4")
    (d / "metadata.json").write_text(
        json.dumps(
            {
                "meeting_url": f"https://meet.gov.example/{room}",
                "participants": [
                    {
                        "user": {
                            "id": "chair-1",
                            "name": "Minister Nguyen Van A",
                            "email": "a@gov.example",
                            "avatar": "",
                        },
                        "group": "press-office",
                    },
                    {"user": {"id": "sp-2", "name": "Dr. Tran Thi B"}},
                    {"user": {"id": "sp-2", "name": "Dr. Tran Thi B"}},
                ],
                "share": True,
            }
        )
    )
    return d
