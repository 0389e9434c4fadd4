"""The press email: summary in the body, transcript and summary attached, the link; sent over SMTP.

``smtp_url`` names the server, as the invitations read it too: ``smtp://user:password@host:587?starttls=1``
(STARTTLS), ``smtps://user:password@host:465`` (TLS from the start), or ``smtp://host:25`` (plain, e.g. a
local relay). The Message-ID is derived from the caller's key, so a receiving system
can tell a repeated delivery from a new message.
"""

from __future__ import annotations

import hashlib
import mimetypes
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class MailError(Exception):
    hint = "check BRIEFING_SMTP_URL (host, port, login) and the press list; the email stays in the outbox"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False  # implicit TLS (smtps)
    starttls: bool = False  # upgrade with STARTTLS (?starttls=1)

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailError("the SMTP URL must look like smtp://user:password@host:587 or smtps://host:465",
                            hint="set BRIEFING_SMTP_URL")
        q = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        starttls = q.get("starttls", "") in ("1", "yes", "true", "on")
        tls = parts.scheme == "smtps"
        return cls(host=parts.hostname, port=parts.port or (465 if tls else 25),
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None, tls=tls, starttls=starttls)


def build_press_email(*, sender: str, to: list[str], subject: str, body: str,
                      attachments: list[Path] = (), message_key: str = "",
                      reply_to: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    if reply_to:
        msg["Reply-To"] = reply_to
    if message_key:
        domain = sender.rsplit("@", 1)[-1].strip(">") or "briefing.invalid"
        msg["Message-ID"] = f"<{hashlib.sha256(message_key.encode()).hexdigest()[:32]}@{domain}>"
    msg.set_content(body)
    for path in attachments:
        path = Path(path)
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix in (".md",):
            ctype = "text/markdown"
        elif path.suffix == ".srt":
            ctype = "application/x-subrip"
        elif path.suffix == ".vtt":
            ctype = "text/vtt"
        maintype, subtype = ctype.split("/", 1)
        data = path.read_bytes()
        if maintype == "text":
            msg.add_attachment(data.decode("utf-8"), subtype=subtype, filename=path.name)
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def send(msg: EmailMessage, smtp_url: str, *, timeout: float = 30.0) -> list[str]:
    """Send; return the recipients the server refused (the others got it, so it is not an error)."""
    server = SmtpServer.from_url(smtp_url)
    try:
        if server.tls:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout,
                                                  context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with conn:
            conn.ehlo()
            if not server.tls and server.starttls:
                if not conn.has_extn("starttls"):
                    raise MailError(f"{server.host}:{server.port} does not offer STARTTLS",
                                    hint="use smtps:// or drop ?starttls=1")
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if server.username:
                conn.login(server.username, server.password or "")
            refused = conn.send_message(msg)
    except MailError:
        raise
    except smtplib.SMTPException as exc:
        raise MailError(f"SMTP server {server.host}:{server.port} refused the email: {exc}") from None
    except OSError as exc:
        raise MailError(f"cannot reach SMTP server {server.host}:{server.port}: {exc.strerror or exc}") from None
    return sorted(refused or {})
