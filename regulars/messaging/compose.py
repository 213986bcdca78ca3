"""Turn a ledger row into what the provider gets: the organisation's layout, tracked links,
the open pixel, the text part and the RFC 8058 unsubscribe headers.

This happens at send time because the links are signed with the message's id.
"""

import functools
import html
import re
from email.utils import formataddr, parseaddr
from html.parser import HTMLParser

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import translation
from django.utils.translation import gettext as _

from regulars.orgs.models import Organisation
from regulars.tracking import links

from .models import Message

# What the #UnsubscribeLink# merge code renders to; replaced by the message's own link here.
UNSUBSCRIBE_PLACEHOLDER = "%%UNSUBSCRIBE_URL%%"

_HREF = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)


def build_email(message: Message) -> EmailMultiAlternatives:
    """The complete e-mail for one ledger row."""
    org = message.organisation
    unsubscribe = links.unsubscribe_url(message.pk)
    content = message.body_html.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe)
    body_html = track_links(message.pk, wrap_in_layout(org, content, unsubscribe))
    body_html = body_html.replace(
        "</body>",
        f'<img src="{links.open_pixel_url(message.pk)}" width="1" height="1" alt=""></body>',
    )
    text = message.body_text or html_to_text(content)
    text = text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe)
    text += f"\n\n-- \n{org.name}\n{unsubscribe_label(org.language)}: {unsubscribe}\n"
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=sender_address(org),
        to=[message.to_address],
        reply_to=[org.email] if org.email else None,
        headers={
            "Message-ID": message.message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Regulars-Key": message.key,
        },
    )
    email.attach_alternative(body_html, "text/html")
    return email


def sms_text(message: Message) -> str:
    """The SMS as sent: #UnsubscribeLink# becomes the message's own unsubscribe link."""
    return message.body_text.replace(UNSUBSCRIBE_PLACEHOLDER, links.unsubscribe_url(message.pk))


@functools.lru_cache(maxsize=16)
def unsubscribe_label(language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return str(_("Unsubscribe"))


def sender_address(org: Organisation) -> str:
    """The organisation's name on the platform's sending address (keeps SPF/DKIM aligned)."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((org.name, address or "noreply@localhost"))


def track_links(message_id: int, body_html: str) -> str:
    """Point every http(s) link but the unsubscribe link at the signed click redirect."""

    def replace(match: re.Match) -> str:
        target = html.unescape(match.group(1))
        if target.startswith(f"{settings.SITE_URL}/t/"):
            return match.group(0)
        return f'href="{html.escape(links.click_url(message_id, target))}"'

    return _HREF.sub(replace, body_html)


def wrap_in_layout(org: Organisation, content_html: str, unsubscribe_url: str) -> str:
    """The organisation's base layout (MSG-2): logo, content, footer with address, unsubscribe."""
    return _layout_head(org) + content_html + _layout_foot(org, unsubscribe_url)


def _layout_head(org: Organisation) -> str:
    name = html.escape(org.name)
    if org.logo:
        logo = f"{settings.SITE_URL}{settings.MEDIA_URL}{org.logo.name}"
        brand = f'<img src="{html.escape(logo)}" alt="{name}" style="max-height:60px">'
    else:
        brand = f'<strong style="font-size:20px">{name}</strong>'
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width"></head>'
        '<body style="margin:0;background:#f4f4f4;font-family:Arial,sans-serif">'
        '<div style="max-width:600px;margin:0 auto;background:#fff;padding:24px">'
        f'<div style="border-bottom:1px solid #ddd;padding-bottom:12px">{brand}</div>'
        '<div style="padding:16px 0;line-height:1.5">'
    )


def _layout_foot(org: Organisation, unsubscribe_url: str) -> str:
    address = ", ".join(
        part for part in (org.address, f"{org.postcode} {org.city}".strip(), org.phone) if part
    )
    return (
        '</div><div style="border-top:1px solid #ddd;padding-top:12px;color:#777;'
        'font-size:12px">'
        f"{html.escape(org.name)}<br>{html.escape(address)}<br>"
        f'<a href="{html.escape(unsubscribe_url)}">'
        f"{html.escape(unsubscribe_label(org.language))}</a>"
        "</div></div></body></html>"
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
