"""The press email (summary in the body, transcript and summary attached, the link), and the project's
one SMTP client: the invitations (briefing/invite.py) send through :class:`Mailer` too.

One reading of the server URL (:meth:`SmtpServer.from_url`):

- ``smtps://user:password@host`` — TLS from the start; port 465 unless given.
- ``smtp://user:password@host:587`` — STARTTLS, required (never sent in clear if the server does not offer
  it): on port 587 unless ``?starttls=0`` disables it, on any port with ``?starttls=1`` (port 587 then
  unless given).
- ``smtp://host:25`` or ``smtp://host`` — plain SMTP, e.g. a local relay; port 25 unless given.
- A user or password over a connection without TLS is refused unless the host is this machine
  (``localhost``, ``127.0.0.0/8``, ``::1``): a password never crosses a network in clear text.

The Message-ID of a press email is derived from the caller's key, so a receiving system can tell a repeated
delivery from a new message.
"""

from __future__ import annotations

import hashlib
import ipaddress
import mimetypes
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from publish.errors import PublishError

URL_FORMS = "smtp://user:password@host:587 (STARTTLS), smtps://user:password@host:465 or smtp://host:25"
_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")


class MailError(PublishError):
    hint = "check BRIEFING_SMTP_URL (host, port, login) and the press list; the email stays in the outbox"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint


class MailUrlError(MailError):
    """The server URL cannot be used as it is written (nothing was sent)."""


class MailLoginError(MailError):
    """The server refused the login, or offers none we can use."""


class MailRecipientsRefused(MailError):
    """The server refused every recipient of one message."""

    def __init__(self, message: str, recipients: list[str]) -> None:
        super().__init__(message, hint="check the address")
        self.recipients = recipients


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False  # implicit TLS (smtps)
    starttls: bool = False  # upgrade with STARTTLS (port 587, or ?starttls=1)

    @property
    def mode(self) -> str:
        return "ssl" if self.tls else "starttls" if self.starttls else "plain"

    def describe(self) -> str:
        return f"{self.host}:{self.port} ({self.mode})"

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """The one reading of an ``smtp://`` / ``smtps://`` URL (see the module's docstring)."""
        parts = urlsplit(url or "")
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailUrlError(f"the SMTP URL must look like {URL_FORMS}", hint="set BRIEFING_SMTP_URL")
        q = {k: v[-1].strip().lower() for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        said = q.get("starttls", q.get("tls"))
        if said is not None and said not in _YES + _NO:
            raise MailUrlError(f"the SMTP URL's starttls={said!r} is neither 1 nor 0", hint="fix BRIEFING_SMTP_URL")
        tls = parts.scheme == "smtps"
        try:
            port = parts.port
        except ValueError:
            raise MailUrlError("the SMTP URL has a bad port", hint="fix BRIEFING_SMTP_URL") from None
        if port is None:
            port = 465 if tls else 587 if said in _YES else 25
        starttls = not tls and (said in _YES if said is not None else port == 587)
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        server = cls(host=parts.hostname, port=port, username=username, password=password, tls=tls, starttls=starttls)
        if (username or password) and server.mode == "plain" and not _is_loopback(server.host):
            raise MailUrlError(
                f"the SMTP URL would send the password in clear text to {server.host}:{port}",
                hint="put smtps://… or smtp://…:587 (STARTTLS) in BRIEFING_SMTP_URL; a server without TLS "
                "only on this machine",
            )
        return server


class Mailer:
    """One SMTP connection (TLS or STARTTLS as the URL says) for a batch of messages::

    with Mailer(SmtpServer.from_url(url)) as m:
        refused = m.send(msg)
    """

    def __init__(self, server: SmtpServer, *, timeout: float = 30.0) -> None:
        self.server = server
        self.timeout = timeout
        self.conn: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        s = self.server
        try:
            if s.tls:
                self.conn = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                self.conn = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            self.conn.ehlo()
            if s.starttls:
                if not self.conn.has_extn("starttls"):
                    raise MailError(
                        f"the SMTP server {s.describe()} does not offer STARTTLS",
                        hint="use smtps://, or add ?starttls=0 for a server on this machine",
                    )
                self.conn.starttls(context=ssl.create_default_context())
                self.conn.ehlo()
            if s.username or s.password:
                self._login(s.username or "", s.password or "")
        except MailError:
            self._quit()
            raise
        except smtplib.SMTPAuthenticationError:
            self._quit()
            raise MailLoginError(
                f"the SMTP server {s.describe()} refused the login of {s.username!r}",
                hint="check the user and password in BRIEFING_SMTP_URL",
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._quit()
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise MailError(
                f"cannot reach the SMTP server {s.describe()}: {why}",
                hint="check BRIEFING_SMTP_URL and that the server is reachable; run again to send what is left",
            ) from None
        return self

    def _login(self, user: str, password: str) -> None:
        """Log in with the strongest mechanism offered, once (smtplib's login() would retry weaker ones)."""
        conn = self.conn
        assert conn is not None
        if not conn.has_extn("auth"):
            raise MailLoginError(
                f"the SMTP server {self.server.describe()} offers no login",
                hint="drop user:password from BRIEFING_SMTP_URL, or use port 587 / smtps://",
            )
        offered = conn.esmtp_features["auth"].upper().split()
        for mech in ("CRAM-MD5", "PLAIN", "LOGIN"):
            if mech in offered:
                conn.user, conn.password = user, password
                conn.auth(mech, getattr(conn, "auth_" + mech.lower().replace("-", "_")))
                return
        raise MailLoginError(
            f"the SMTP server {self.server.describe()} offers no login method we know ({' '.join(offered)})",
            hint="use a server that offers PLAIN or LOGIN over TLS",
        )

    def send(self, msg: EmailMessage) -> list[str]:
        """Send one message; return the recipients the server refused (the others got it, so it is not an
        error). Every recipient refused: :class:`MailRecipientsRefused`; any other failure: MailError."""
        assert self.conn is not None, "use Mailer as a context manager"
        s = self.server
        try:
            refused = self.conn.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            rcpts = sorted(exc.recipients)
            raise MailRecipientsRefused(f"the SMTP server {s.describe()} refused {', '.join(rcpts)}", rcpts) from None
        except smtplib.SMTPException as exc:
            raise MailError(f"the SMTP server {s.describe()} refused the email: {exc}") from None
        except OSError as exc:
            raise MailError(
                f"the connection to the SMTP server {s.describe()} failed: {exc.strerror or exc}",
                hint="run again to send what is left",
            ) from None
        return sorted(refused or {})

    def _quit(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.conn = None

    def __exit__(self, *exc: Any) -> None:
        self._quit()


def build_press_email(
    *,
    sender: str,
    to: list[str],
    subject: str,
    body: str,
    attachments: Sequence[Path] = (),
    message_key: str = "",
    reply_to: str | None = None,
    html: str | None = None,
) -> EmailMessage:
    """The press email: ``body`` as text/plain and, with ``html``, a text/html alternative (multipart/
    alternative), then the attachments (multipart/mixed around both)."""
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
    if html:
        msg.add_alternative(html, subtype="html")
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
    """Send one message over its own connection; return the recipients the server refused."""
    with Mailer(SmtpServer.from_url(smtp_url), timeout=timeout) as m:
        return m.send(msg)
