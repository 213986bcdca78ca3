"""Turn a ledger row into what the provider gets: the organisation's layout, tracked links,
the open pixel, the text part and the RFC 8058 unsubscribe headers.

This happens at send time because the links are signed with the message's id.
"""

import binascii
import functools
import html
import re
import secrets
import time
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from html.parser import HTMLParser

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import translation
from django.utils.translation import gettext as _

from regulars.orgs.models import Organisation
from regulars.tracking import links

from .backends import ORGANISATION_HEADER
from .models import Message

# What the #UnsubscribeLink# merge code renders to; replaced by the message's own link here.
UNSUBSCRIBE_PLACEHOLDER = "%%UNSUBSCRIBE_URL%%"

_HREF = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)


@dataclass
class Composed:
    """Everything the provider gets for one message, before MIME encoding."""

    sender: str
    to: str
    subject: str
    headers: dict[str, str]
    text: str
    html: str | None


def compose(message: Message) -> Composed:
    """The complete e-mail for one ledger row. Staff mails (no customer) are plain text."""
    org = message.organisation
    headers = {
        "Message-ID": message.message_id,
        "X-Regulars-Key": message.key,
        ORGANISATION_HEADER: org.slug,
    }
    if org.email:
        headers["Reply-To"] = org.email
    if message.customer_id is None:
        return Composed(
            sender_address(org),
            message.to_address,
            message.subject,
            headers,
            message.body_text,
            None,
        )
    unsubscribe = links.unsubscribe_url(message.pk)
    headers["List-Unsubscribe"] = f"<{unsubscribe}>"
    headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    content = message.body_html or text_to_html(message.body_text)
    content = content.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe)
    # Only the content has links to track: the layout's one link is the unsubscribe link.
    body_html = wrap_in_layout(org, track_links(message.pk, content), unsubscribe)
    pixel = f'<img src="{links.open_pixel_url(message.pk)}" width="1" height="1" alt="">'
    body_html = body_html.replace("</body>", f"{pixel}</body>")
    text = message.body_text or html_to_text(content)
    text = text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe)
    text += f"\n\n-- \n{text_footer(org)}{unsubscribe_label(org.language)}: {unsubscribe}\n"
    return Composed(
        sender_address(org), message.to_address, message.subject, headers, text, body_html
    )


def text_footer(org: Organisation) -> str:
    """The text part's signature: the organisation's footer lines, then its name."""
    return _text_footer(org.email_footer, org.name)


@functools.lru_cache(maxsize=64)
def _text_footer(email_footer: str, name: str) -> str:
    return "".join(f"{line}\n" for line in footer_lines(email_footer)) + f"{name}\n"


def build_email(message: Message) -> EmailMultiAlternatives:
    """The message as a Django e-mail, for any EMAIL_BACKEND (anymail, the outbox …)."""
    composed = compose(message)
    headers = dict(composed.headers)
    reply_to = headers.pop("Reply-To", None)
    email = EmailMultiAlternatives(
        subject=composed.subject,
        body=composed.text,
        from_email=composed.sender,
        to=[composed.to],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
    )
    if composed.html is not None:
        email.attach_alternative(composed.html, "text/html")
    return email


def build_raw(message: Message) -> bytes:
    """The message as RFC 5322 bytes with CRLF line ends, for a direct SMTP session.

    Hand-assembled because the email package's generator costs more than the rest of a
    send together; parts are quoted-printable UTF-8, headers RFC 2047-encoded when needed.
    """
    composed = compose(message)
    lines = [
        f"From: {composed.sender}",
        f"To: {composed.to}",
        f"Subject: {_header(composed.subject)}",
        f"Date: {_date_header(int(time.time()))}",
        "MIME-Version: 1.0",
        *(f"{name}: {_header(value)}" for name, value in composed.headers.items()),
    ]
    if composed.html is None:
        lines += _part_headers("text/plain")
        return _join(lines, _qp(composed.text))
    boundary = f"=_regulars_{message.pk}_{secrets.token_hex(6)}"
    lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    body = b"".join(
        b"--"
        + boundary.encode()
        + b"\r\n"
        + "\r\n".join(_part_headers(kind)).encode()
        + b"\r\n\r\n"
        + _qp(content)
        + b"\r\n"
        for kind, content in (("text/plain", composed.text), ("text/html", composed.html))
    )
    return _join(lines, body + b"--" + boundary.encode() + b"--\r\n")


@functools.lru_cache(maxsize=2)
def _date_header(second: int) -> str:
    # The Date header changes once a second; formatting it costs more than a cached lookup.
    return formatdate(second)


def _part_headers(kind: str) -> list[str]:
    return [f'Content-Type: {kind}; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"]


def _join(header_lines: list[str], body: bytes) -> bytes:
    return "\r\n".join(header_lines).encode("ascii") + b"\r\n\r\n" + body


def _header(value: str) -> str:
    if value.isascii() and len(value) < 900:
        return value
    return Header(value, "utf-8").encode()


def _qp(content: str) -> bytes:
    encoded = binascii.b2a_qp(content.replace("\r\n", "\n").encode("utf-8"))
    return encoded.replace(b"\n", b"\r\n")


def sms_text(message: Message) -> str:
    """The SMS as sent: #UnsubscribeLink# becomes the message's own unsubscribe link."""
    return message.body_text.replace(UNSUBSCRIBE_PLACEHOLDER, links.unsubscribe_url(message.pk))


@functools.lru_cache(maxsize=16)
def unsubscribe_label(language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return str(_("Unsubscribe"))


def sender_address(org: Organisation) -> str:
    """The organisation's name on the platform's sending address (keeps SPF/DKIM aligned)."""
    return _sender_address(org.name, settings.DEFAULT_FROM_EMAIL)


@functools.lru_cache(maxsize=256)
def _sender_address(name: str, from_email: str) -> str:
    _, address = parseaddr(from_email)
    return formataddr((name, address or "noreply@localhost"))


def track_links(message_id: int, body_html: str) -> str:
    """Point every http(s) link but the unsubscribe link at the signed click redirect."""

    own_links = f"{settings.SITE_URL}/t/"

    def replace(match: re.Match) -> str:
        target = html.unescape(match.group(1))
        if target.startswith(own_links):
            return match.group(0)
        return f'href="{html.escape(links.click_url(message_id, target))}"'

    return _HREF.sub(replace, body_html)


def wrap_in_layout(org: Organisation, content_html: str, unsubscribe_url: str) -> str:
    """The organisation's base layout (MSG-2): logo, content, footer with address, unsubscribe."""
    head, before_link, after_link = _layout(
        org.name,
        org.logo.name if org.logo else "",
        org.address,
        org.postcode,
        org.city,
        org.phone,
        org.email_footer,
        org.language,
        settings.SITE_URL,
        settings.MEDIA_URL,
    )
    return head + content_html + before_link + html.escape(unsubscribe_url) + after_link


@functools.lru_cache(maxsize=64)
def _layout(
    name: str,
    logo: str,
    address: str,
    postcode: str,
    city: str,
    phone: str,
    email_footer: str,
    language: str,
    site_url: str,
    media_url: str,
) -> tuple[str, str, str]:
    """The layout before the content, and the footer before and after the unsubscribe
    link's URL: made once per organisation's settings, not for every message."""
    escaped_name = html.escape(name)
    if logo:
        src = html.escape(f"{site_url}{media_url}{logo}")
        brand = f'<img src="{src}" alt="{escaped_name}" style="max-height:60px">'
    else:
        brand = f'<strong style="font-size:20px">{escaped_name}</strong>'
    head = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width"></head>'
        '<body style="margin:0;background:#f4f4f4;font-family:Arial,sans-serif">'
        '<div style="max-width:600px;margin:0 auto;background:#fff;padding:24px">'
        f'<div style="border-bottom:1px solid #ddd;padding-bottom:12px">{brand}</div>'
        '<div style="padding:16px 0;line-height:1.5">'
    )
    full_address = ", ".join(
        part for part in (address, f"{postcode} {city}".strip(), phone) if part
    )
    address_line = f"{html.escape(full_address)}<br>" if full_address else ""
    before_link = (
        '</div><div style="border-top:1px solid #ddd;padding-top:12px;color:#777;'
        'font-size:12px">'
        f"{footer_html(email_footer)}"
        f"{escaped_name}<br>{address_line}"
        '<a href="'
    )
    after_link = f'">{html.escape(unsubscribe_label(language))}</a></div></div></body></html>'
    return head, before_link, after_link


def footer_lines(footer_text: str) -> list[str]:
    return [line.strip() for line in footer_text.strip().splitlines()]


def footer_html(footer_text: str) -> str:
    """The organisation's own footer lines, escaped, as a paragraph of the layout's footer."""
    lines = footer_lines(footer_text)
    if not lines:
        return ""
    return '<p style="margin:0 0 8px">' + "<br>".join(map(html.escape, lines)) + "</p>"


def text_to_html(text: str) -> str:
    """A text-only message as HTML paragraphs, so the HTML part is never an empty layout."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "".join(
        f"<p>{html.escape(paragraph).replace(chr(10), '<br>')}</p>" for paragraph in paragraphs
    )


class _TextExtractor(HTMLParser):
    """HTML to a readable text part: paragraphs as blank lines, links as 'text (url)'."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "li", "tr", "table", "ul", "ol"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hrefs: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"style", "script", "head"}:
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag):
        if tag in {"style", "script", "head"}:
            self.skip = max(0, self.skip - 1)
        elif tag == "a" and self.hrefs:
            href = self.hrefs.pop()
            if href and href.startswith(("http", "mailto")) and href not in self.parts[-1:]:
                self.parts.append(f" ({href})")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(body_html: str) -> str:
    parser = _TextExtractor()
    parser.feed(body_html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
