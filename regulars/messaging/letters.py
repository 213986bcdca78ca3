"""Letters (MSG-1): print-ready A4 PDFs made with WeasyPrint, one letter per recipient.

The address block sits in the window of a C5/DL window envelope per DIN 5008 form B:
20 mm from the left edge, 45 mm from the top, 85 × 45 mm (the first 5 mm hold the
sender's return line). The organisation's letterhead runs across the top.
"""

import html
from collections.abc import Iterable
from pathlib import Path

from django.utils import timezone

from regulars.orgs.models import Organisation

from .models import Message

LETTER_CSS = """
@page { size: A4; margin: 0; }
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10.5pt; margin: 0; }
.letter { position: relative; width: 210mm; height: 296mm; page-break-after: always; }
.letter:last-child { page-break-after: auto; }
.letterhead { position: absolute; top: 12mm; left: 20mm; right: 20mm;
  border-bottom: 0.4mm solid #444; padding-bottom: 3mm; }
.letterhead .name { font-size: 16pt; font-weight: bold; }
.letterhead .contact { font-size: 8.5pt; color: #444; }
.window { position: absolute; top: 45mm; left: 20mm; width: 85mm; height: 45mm; }
.return-line { font-size: 7pt; color: #555; border-bottom: 0.2mm solid #999;
  height: 5mm; line-height: 5mm; overflow: hidden; }
.address { padding-top: 3mm; line-height: 1.35; }
.date { position: absolute; top: 97mm; right: 20mm; }
.content { position: absolute; top: 105mm; left: 25mm; right: 20mm; line-height: 1.45; }
"""


def letter_html(org: Organisation, messages: Iterable[Message]) -> str:
    """One HTML document, one page-sized block per letter."""
    contact = " · ".join(
        html.escape(part)
        for part in (org.address, f"{org.postcode} {org.city}".strip(), org.phone, org.email)
        if part
    )
    sender = html.escape(", ".join(p for p in (org.name, org.address, org.city) if p))
    today = timezone.localdate().isoformat()
    letters = [
        '<section class="letter">'
        f'<div class="letterhead"><div class="name">{html.escape(org.name)}</div>'
        f'<div class="contact">{contact}</div></div>'
        f'<div class="window"><div class="return-line">{sender}</div>'
        f'<div class="address">{_address_html(m)}</div></div>'
        f'<div class="date">{today}</div>'
        f'<div class="content">{_content_html(m)}</div>'
        "</section>"
        for m in messages
    ]
    head = f'<meta charset="utf-8"><style>{LETTER_CSS}</style>'
    return f"<!doctype html><html><head>{head}</head><body>{''.join(letters)}</body></html>"


def _address_html(message: Message) -> str:
    return "<br>".join(html.escape(line) for line in message.address_block.splitlines())


def _content_html(message: Message) -> str:
    return message.body_html or html.escape(message.body_text).replace("\n", "<br>")


def render_letters(org: Organisation, messages: Iterable[Message]) -> bytes:
    """The print file: a PDF with one letter per message, in the order given."""
    from weasyprint import HTML  # heavy import; only letters need it

    return HTML(string=letter_html(org, messages)).write_pdf()


class LetterTransport:
    """'Sends' a letter by writing its print-ready PDF under LETTERS_DIR/<org>/."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def send(self, message: Message) -> str:
        target = self.folder / message.organisation.slug
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"{message.pk}.pdf"
        path.write_bytes(render_letters(message.organisation, [message]))
        return str(path)

    def close(self) -> None:
        pass
