"""recorder.jibri against a loopback HTTP server answering as Jibri's HttpApi.kt does (contracts §1)."""

from __future__ import annotations

import pytest

from recorder.jibri import (
    CallLogin,
    JibriBusy,
    JibriClient,
    JibriError,
    JibriHealth,
    JibriRejected,
    JibriServerError,
    JibriUnreachable,
    StartRequest,
)
from tests.recorder.jibri import FakeJibri, health_json


@pytest.fixture
def jibri():
    with FakeJibri() as j:
        yield j


def request(**kw) -> StartRequest:
    args = dict(
        session_id="2026-11-25-daily-press-briefing",
        base_url="https://meet.example.org/",
        call_name="daily-abc",
        login=CallLogin("recorder.meet.example.org", "recorder", "pw"),
    )
    args.update(kw)
    return StartRequest(**args)


def test_health_shapes_idle_busy_expired() -> None:
    assert JibriHealth.from_json(health_json("IDLE")).idle
    busy = JibriHealth.from_json(health_json("BUSY", env="meet.example.org"))
    assert busy.busy and busy.environment == "meet.example.org" and busy.healthy
    assert busy.details[0].name == "JibriManager"
    exp = JibriHealth.from_json(health_json("EXPIRED", "UNHEALTHY"))
    assert exp.expired and not exp.healthy
    with pytest.raises(JibriError, match="unknown shape"):
        JibriHealth.from_json({"busyStatus": "IDLE"})


def test_start_stop_cycle_sends_only_documented_fields(jibri: FakeJibri) -> None:
    with JibriClient(jibri.url) as c:
        assert c.health().idle
        c.start(request())
        assert c.wait_for("BUSY", timeout=2).busy
        c.stop()
        assert c.wait_for("IDLE", timeout=2).idle
    method, path, body = jibri.requests[1]
    assert (method, path) == ("POST", "/jibri/api/v1.0/startService")
    assert body == {
        "sessionId": "2026-11-25-daily-press-briefing",
        "callParams": {"callUrlInfo": {"baseUrl": "https://meet.example.org", "callName": "daily-abc"}},
        "callLoginParams": {"domain": "recorder.meet.example.org", "username": "recorder", "password": "pw"},
        "sinkType": "file",
    }


def test_stream_sink_sends_the_rtmp_url_as_youtube_key(jibri: FakeJibri) -> None:
    with JibriClient(jibri.url + "/jibri/api/v1.0") as c:
        c.start(request(sink="stream", rtmp_url="rtmp://media.gov.example/live/2026-11-25"))
    body = jibri.requests[-1][2]
    assert body["sinkType"] == "stream" and body["youTubeStreamKey"] == "rtmp://media.gov.example/live/2026-11-25"
    with pytest.raises(JibriError, match="rtmp"):
        request(sink="stream", rtmp_url="abcd-key").to_json()


def test_412_busy_and_412_missing_field_and_500(jibri: FakeJibri) -> None:
    with JibriClient(jibri.url) as c:
        c.start(request())
        with pytest.raises(JibriBusy, match="busy") as e:
            c.start(request())
        assert e.value.status_code == 412 and "record stop" in str(e.value)
        c.stop()
        jibri.next_start = (412, "Call login params missing")
        with pytest.raises(JibriRejected, match="Call login params missing"):
            c.start(request())
        jibri.next_start = (500, "")
        with pytest.raises(JibriServerError, match="HTTP 500") as e:
            c.start(request())
        assert "journalctl" in str(e.value)


def test_expired_single_use() -> None:
    with FakeJibri(single_use=True) as j, JibriClient(j.url) as c:
        c.start(request())
        c.stop()
        assert c.health().expired


def test_unreachable_names_the_url() -> None:
    with JibriClient("http://127.0.0.1:9", timeout=2) as c:
        with pytest.raises(JibriUnreachable, match="127.0.0.1:9"):
            c.health()
