"""Press channels (apprise json:// to an HTTP receiver on loopback) and the press email (aiosmtpd)."""

from __future__ import annotations

from pathlib import Path

import pytest

from publish import mail, notify
from tests.distfixtures import receiver, smtp_server  # noqa: F401 - fixtures

META = {
    "id": "2026-11-25-briefing",
    "title": "Daily press briefing",
    "date": "2026-11-25",
    "summary": {
        "sentences": [
            {"text": "The ministry recorded 1,240 new cases."},
            {"text": "Hospital occupancy stands at 3.5 percent."},
            {"text": "Schools reopen on Monday."},
            {"text": "A fourth sentence."},
        ]
    },
    "key_figures": [{"said": "1,240", "label": "new cases"}, {"said": "3.5 percent", "label": "hospital occupancy"}],
}


def test_press_post_has_title_summary_figures_and_link() -> None:
    post = notify.press_post(META, "https://press.example/briefings/2026-11-25-briefing/")
    assert post.title == "Daily press briefing (2026-11-25)"
    lines = post.body.splitlines()
    assert lines[:3] == [
        "The ministry recorded 1,240 new cases.",
        "Hospital occupancy stands at 3.5 percent.",
        "Schools reopen on Monday.",
    ]
    assert "• 1,240 — new cases" in lines and lines[-1].startswith("https://press.example/")
    c = notify.press_post(META, "https://x/", correction={"version": 2, "note": "a figure was misheard"})
    assert c.title.startswith("Correction:") and "a figure was misheard" in c.body


def test_apprise_json_post_reaches_the_receiver(receiver) -> None:
    post = notify.press_post(META, "https://press.example/b/")
    notify.send(receiver.url("newsroom"), post)
    body = receiver.bodies("newsroom")[0]
    assert body["title"] == post.title and "1,240" in body["message"]


def test_a_refusing_channel_raises_with_the_reason(receiver) -> None:
    receiver.fail.add("broken")
    with pytest.raises(notify.NotifyError, match="refused"):
        notify.send(receiver.url("broken"), notify.Post("t", "b", "l"))
    with pytest.raises(notify.NotifyError, match="not a URL apprise understands"):
        notify.send("nosuchscheme://x", notify.Post("t", "b", "l"))
    masked = notify.mask_url("tgram://123456:SECRETTOKEN@chat/-100")
    assert masked.startswith("tgram://") and "SECRET" not in masked


def test_press_email_with_attachments(tmp_path: Path, smtp_server) -> None:
    url, box = smtp_server
    (tmp_path / "transcript.txt").write_text("[00:00:00] Xin chào, the ministry recorded 1,240 new cases.\n")
    (tmp_path / "summary.md").write_text("# Summary\n\n- 1,240 new cases\n")
    msg = mail.build_press_email(
        sender="Press <press@gov.example>",
        to=["a@press.example", "b@press.example"],
        subject="Daily press briefing (2026-11-25)",
        body="Summary: 1,240 new cases\nhttps://x/",
        attachments=[tmp_path / "transcript.txt", tmp_path / "summary.md"],
        message_key="email:b:v1",
    )
    assert mail.send(msg, url) == []
    got = box.messages[0]
    assert sorted(box.envelopes[0].rcpt_tos) == ["a@press.example", "b@press.example"]
    assert got["Subject"] == "Daily press briefing (2026-11-25)"
    assert got["Message-ID"].endswith("@gov.example>")
    assert "1,240 new cases" in got.get_body(("plain",)).get_content()
    atts = {a.get_filename(): a for a in got.iter_attachments()}
    assert set(atts) == {"transcript.txt", "summary.md"}
    assert "Xin chào" in atts["transcript.txt"].get_content()
    assert atts["summary.md"].get_content_type() == "text/markdown"


def test_smtp_errors_are_clear() -> None:
    with pytest.raises(mail.MailError, match="smtp://"):
        mail.SmtpServer.from_url("http://x")
    s = mail.SmtpServer.from_url("smtps://user%40x:p%2Fw@mail.example")
    assert (s.host, s.port, s.username, s.password, s.tls) == ("mail.example", 465, "user@x", "p/w", True)
    msg = mail.build_press_email(sender="a@b", to=["c@d"], subject="s", body="b")
    with pytest.raises(mail.MailError, match="cannot reach"):
        mail.send(msg, "smtp://127.0.0.1:1", timeout=2)


@pytest.mark.parametrize(
    ("url", "want"),
    [
        # (host, port, mode, username, password)
        ("smtp://relay.example", ("relay.example", 25, "plain", None, None)),
        ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, "plain", None, None)),
        ("smtp://u:s3cr3t@mail.example:587", ("mail.example", 587, "starttls", "u", "s3cr3t")),
        ("smtp://u:s3cr3t@mail.example?starttls=1", ("mail.example", 587, "starttls", "u", "s3cr3t")),
        ("smtp://u:s3cr3t@mail.example:2587?starttls=yes", ("mail.example", 2587, "starttls", "u", "s3cr3t")),
        ("smtp://u:s3cr3t@mail.example:587?tls=1", ("mail.example", 587, "starttls", "u", "s3cr3t")),
        ("smtp://mail.example:587?starttls=0", ("mail.example", 587, "plain", None, None)),
        ("smtp://u:s3cr3t@localhost:587?starttls=0", ("localhost", 587, "plain", "u", "s3cr3t")),
        ("smtp://u:s3cr3t@127.0.0.1:25", ("127.0.0.1", 25, "plain", "u", "s3cr3t")),
        ("smtp://u:s3cr3t@[::1]:25", ("::1", 25, "plain", "u", "s3cr3t")),
        ("smtps://user%40x:p%2Fw@mail.example", ("mail.example", 465, "ssl", "user@x", "p/w")),
        ("smtps://u:s3cr3t@mail.example:2465?starttls=0", ("mail.example", 2465, "ssl", "u", "s3cr3t")),
    ],
)
def test_the_one_reading_of_smtp_urls(url, want) -> None:
    s = mail.SmtpServer.from_url(url)
    assert (s.host, s.port, s.mode, s.username, s.password) == want
    assert s.password is None or s.password not in repr(s)


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("smtp://u:p@mail.example", "password in clear text to mail.example:25"),
        ("smtp://u:p@mail.example:587?starttls=0", "password in clear text to mail.example:587"),
        ("smtp://u@10.0.0.5:2525", "password in clear text"),
        ("smtp://mail.example?starttls=maybe", "neither 1 nor 0"),
        ("smtp://mail.example:99999", "bad port"),
        ("http://mail.example", "must look like smtp://"),
        ("", "must look like smtp://"),
    ],
)
def test_smtp_urls_refused_with_one_line(url, match) -> None:
    with pytest.raises(mail.MailUrlError, match=match) as err:
        mail.SmtpServer.from_url(url)
    assert "\n" not in str(err.value) and "BRIEFING_SMTP_URL" in err.value.hint


def test_starttls_is_required_when_the_url_asks_for_it(smtp_server) -> None:
    """The loopback server offers no STARTTLS: a URL on 587 (or with ?starttls=1) is refused before any
    login or message, rather than sent in clear."""
    url, box = smtp_server
    port = url.rsplit(":", 1)[1]
    msg = mail.build_press_email(sender="a@b", to=["c@d"], subject="s", body="b")
    with pytest.raises(mail.MailError, match="does not offer STARTTLS"):
        mail.send(msg, f"smtp://u:p@127.0.0.1:{port}?starttls=1")
    assert box.messages == []


def test_the_press_email_is_multipart_text_and_html(tmp_path):
    from publish import md
    from publish.mail import build_press_email

    (tmp_path / "summary.md").write_text("# x\n", encoding="utf-8")
    text = md.summary_markdown(
        title="Daily <b>briefing</b>",
        date="2026-11-25",
        speakers=["A"],
        summary={
            "sentences": [{"text": "Cases rose to 1,240.", "start": 62}],
            "key_figures": [{"said": "1,240", "label": "new cases", "start": 62, "value": 1240}],
        },
        link="https://press.example/briefings/x/",
    )
    html = md.email_document(md.to_html(text), lang="en", title="Daily briefing")
    msg = build_press_email(
        sender="Press <p@gov.example>",
        to=["a@b.example"],
        subject="S",
        body="plain body",
        attachments=[tmp_path / "summary.md"],
        html=html,
    )
    assert msg.get_content_type() == "multipart/mixed"
    assert msg.get_body(("plain",)).get_content().strip() == "plain body"
    got = msg.get_body(("html",)).get_content()
    assert '<a href="https://press.example/briefings/x/#t=62">00:01:02</a>' in got  # the moment, on the page
    assert "&lt;b&gt;briefing&lt;/b&gt;" in got and "<b>" not in got and "<td>1,240</td>" in got
    assert [a.get_filename() for a in msg.iter_attachments()] == ["summary.md"]
