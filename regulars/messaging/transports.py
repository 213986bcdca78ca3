"""Hand one ledger message to a provider; say whether a failure is worth retrying.

A transport's `send(message)` returns the provider's id for the message, or raises
`TransientError` (try again later: SMTP 4xx, dropped connection, HTTP 429/5xx) or
`PermanentError` (never retry: SMTP 5xx, rejected recipient, HTTP 4xx).
"""

import contextlib
import functools
import re
import smtplib
import socket
from email.utils import parseaddr
from typing import Protocol

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from .compose import build_email, build_raw
from .models import Channel, Message


class TransientError(Exception):
    """The provider could not take the message now; a later attempt may succeed."""


class PermanentError(Exception):
    """The provider refused the message for good; the reason is stored on the row."""


class Transport(Protocol):
    def send(self, message: Message) -> str: ...

    def close(self) -> None: ...


class EmailTransport:
    """Django's configured EMAIL_BACKEND (SMTP, anymail, the outbox) with one reused connection.

    Over SMTP with PIPELINING, `send(message, following=next_one)` sends the next message's
    envelope (MAIL, RCPT, DATA) in the same write as this message's content, so each message
    costs one round trip instead of two (RFC 2920 allows message content to start a group).
    The next message is only announced, never sent: if the worker dies before it is sent,
    the server drops the open transaction with the connection.
    """

    def __init__(self, backend: str | None = None, **options):
        self.backend = backend
        self.options = options
        self.connection: BaseEmailBackend | None = None
        # The ledger row whose envelope the server has accepted (it awaits the content).
        self.announced: int | None = None
        self.in_flight: tuple[Message, Message | None] | None = None
        self.provider_id: str | None = None

    def send(self, message: Message, following: Message | None = None) -> str:
        self.begin(message, following)
        return self.finish()

    def begin(self, message: Message, following: Message | None = None) -> None:
        """Hand `message` over; `finish` reads its outcome. Over SMTP this only writes, so a
        caller can keep several sessions busy from one thread (`awaiting`)."""
        self.in_flight = (message, following)
        self.provider_id = None
        try:
            if self.connection is not None and self.announced not in (None, message.pk):
                # The server awaits another message's content: only a new session is clean.
                self.close()
            if self.connection is None:
                self.connection = get_connection(self.backend, fail_silently=False, **self.options)
                self.connection.open()
            if isinstance(self.connection, SmtpBackend):
                self._begin_raw(self.connection, message, following)
                return
            email = build_email(message)
            email.connection = self.connection
            email.send(fail_silently=False)
        except Exception as error:
            self.close()
            raise classify_email_error(error) from error
        status = getattr(email, "anymail_status", None)
        self.provider_id = (
            status and status.message_id and str(status.message_id)
        ) or message.message_id

    def awaiting(self) -> socket.socket | None:
        """The SMTP socket whose answer `finish` will read (None: nothing to wait for)."""
        smtp = getattr(self.connection, "connection", None)
        if self.provider_id is not None or smtp is None:
            return None
        return smtp.sock

    def finish(self) -> str:
        """The outcome of the message `begin` handed over: its provider id, or the error."""
        if self.in_flight is None:
            raise RuntimeError("finish() without begin()")
        message, following = self.in_flight
        self.in_flight = None
        if self.provider_id is not None:
            return self.provider_id
        smtp = getattr(self.connection, "connection", None)
        try:
            if smtp is None:
                raise smtplib.SMTPServerDisconnected("no SMTP session")
            _check_data_reply(smtp.getreply())
        except Exception as error:
            self.close()
            raise classify_email_error(error) from error
        if following is not None and smtp.has_extn("pipelining"):
            # This message is accepted whatever happens to the next one's envelope: a refusal
            # or a dropped session only closes the session, and the next send starts over.
            try:
                _check_envelope_replies(smtp, following.to_address)
            except Exception:  # noqa: BLE001
                self.close()
            else:
                self.announced = following.pk
        return message.message_id

    def _begin_raw(self, backend: SmtpBackend, message: Message, following: Message | None) -> None:
        """SMTP: Django's backend keeps the session (TLS, login); we hand it the bytes."""
        raw = build_raw(message)
        smtp = backend.connection
        if smtp is None:
            raise smtplib.SMTPServerDisconnected("no SMTP session")
        smtp.ehlo_or_helo_if_needed()
        # One envelope, one recipient: the MAIL/RCPT/DATA dialogue without smtplib's
        # per-call address re-parsing; any error closes the session (see send).
        pipelining = smtp.has_extn("pipelining")
        if self.announced != message.pk:
            if pipelining:
                _envelope_pipelined(smtp, message.to_address)
            else:
                _envelope(smtp, message.to_address)
        self.announced = None
        content = _dot_stuffed(raw) + b".\r\n"
        if following is None or not pipelining:
            smtp.send(content)
        else:
            smtp.send(content + _envelope_commands(following.to_address))

    def close(self) -> None:
        self.announced = None
        self.in_flight = None
        if self.connection is not None:
            # A broken connection may fail to close; it is dropped either way.
            with contextlib.suppress(Exception):
                self.connection.close()
            self.connection = None


def _check_data_reply(reply: tuple[int, bytes]) -> None:
    if reply[0] != 250:
        raise smtplib.SMTPDataError(*reply)


def _envelope(smtp: smtplib.SMTP, to_address: str) -> None:
    """MAIL, RCPT and DATA one at a time, each waiting for its answer."""
    code, answer = smtp.docmd("MAIL", f"FROM:<{envelope_sender()}>")
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, answer, envelope_sender())
    code, answer = smtp.docmd("RCPT", f"TO:<{to_address}>")
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({to_address: (code, answer)})
    code, answer = smtp.docmd("DATA")
    if code != 354:
        raise smtplib.SMTPDataError(code, answer)


def _envelope_pipelined(smtp: smtplib.SMTP, to_address: str) -> None:
    """MAIL, RCPT and DATA in one write (RFC 2920, when the server offers PIPELINING):
    one round trip instead of three. All three answers are read before judging them."""
    smtp.send(_envelope_commands(to_address))
    _check_envelope_replies(smtp, to_address)


def _envelope_commands(to_address: str) -> bytes:
    return f"MAIL FROM:<{envelope_sender()}>\r\nRCPT TO:<{to_address}>\r\nDATA\r\n".encode("ascii")


def _check_envelope_replies(smtp: smtplib.SMTP, to_address: str) -> None:
    mail, rcpt, data = smtp.getreply(), smtp.getreply(), smtp.getreply()
    if mail[0] != 250:
        raise smtplib.SMTPSenderRefused(*mail, envelope_sender())
    if rcpt[0] not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({to_address: rcpt})
    if data[0] != 354:
        raise smtplib.SMTPDataError(*data)


_BARE_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _dot_stuffed(raw: bytes) -> bytes:
    """The message as DATA content (as smtplib's data() makes it): every line end CRLF,
    leading dots doubled, ending in CRLF."""
    crlf = raw.count(b"\r\n")
    if raw.count(b"\n") != crlf or raw.count(b"\r") != crlf:
        raw = _BARE_LINE_END.sub(b"\r\n", raw)
    # Counting and searching in C first: built messages rarely need either regex.
    if raw.startswith(b".") or b"\n." in raw:
        raw = _LEADING_DOT.sub(b"..", raw)
    return raw if raw.endswith(b"\r\n") else raw + b"\r\n"


@functools.lru_cache(maxsize=4)
def _envelope_sender(from_email: str) -> str:
    return parseaddr(from_email)[1] or "noreply@localhost"


def envelope_sender() -> str:
    return _envelope_sender(settings.DEFAULT_FROM_EMAIL)


def classify_email_error(error: Exception) -> Exception:
    """SMTP/anymail failures to Transient/PermanentError, keeping the provider's words."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        reason = "; ".join(f"{code} {_text(text)}" for code, text in error.recipients.values())
        transient = all(400 <= code < 500 for code in codes)
        return TransientError(reason) if transient else PermanentError(reason)
    if isinstance(error, smtplib.SMTPResponseException):
        reason = f"{error.smtp_code} {_text(error.smtp_error)}"
        return TransientError(reason) if 400 <= error.smtp_code < 500 else PermanentError(reason)
    if isinstance(error, smtplib.SMTPServerDisconnected | OSError | smtplib.SMTPException):
        return TransientError(f"connection: {error}")
    if isinstance(error, AnymailRecipientsRefused):
        return PermanentError(str(error))
    if isinstance(error, AnymailError):
        status = getattr(error, "status_code", None)
        if status is not None and 400 <= status < 500 and status != 429:
            return PermanentError(f"HTTP {status}: {error}")
        return TransientError(f"provider: {error}")
    return PermanentError(f"{type(error).__name__}: {error}")


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)


def transport_for(channel: str) -> Transport:
    """The configured transport of a channel (settings: EMAIL_BACKEND, SMS_GATEWAY)."""
    if channel == Channel.EMAIL:
        return EmailTransport()
    if channel == Channel.SMS:
        from .sms import gateway_from_settings

        return gateway_from_settings()
    from .letters import LetterTransport

    return LetterTransport(settings.LETTERS_DIR)
