"""Reads of the local outbox (the demo back-end) and previews in the organisation's layout."""

import email
import email.policy
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from regulars.orgs.models import Organisation

from .backends import outbox_folder
from .compose import UNSUBSCRIBE_PLACEHOLDER, wrap_in_layout


@dataclass
class OutboxItem:
    name: str
    kind: str  # "email" or "sms"
    to: str
    subject: str
    text: str
    html: str | None
    at: float


def _folder(organisation: Organisation) -> Path:
    return settings.OUTBOX_DIR / outbox_folder({"X-Regulars-Organisation": organisation.slug})


def list_outbox(organisation: Organisation) -> list[OutboxItem]:
    """The organisation's kept messages, newest first."""
    folder = _folder(organisation)
    if not folder.is_dir():
        return []
    paths = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
    return [item for path in paths[:500] if (item := _read(path)) is not None]


def read_outbox_item(organisation: Organisation, name: str) -> OutboxItem | None:
    path = _folder(organisation) / name
    if "/" in name or name.startswith(".") or not path.is_file():
        return None
    return _read(path)


def _read(path: Path) -> OutboxItem | None:
    if path.suffix == ".json":
        record = json.loads(path.read_text())
        return OutboxItem(
            path.name, "sms", record["to"], "", record["text"], None, path.stat().st_mtime
        )
    if path.suffix != ".eml":
        return None
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text_part = parsed.get_body(("plain",))
    html_part = parsed.get_body(("html",))
    return OutboxItem(
        path.name,
        "email",
        str(parsed["To"]),
        str(parsed["Subject"]),
        text_part.get_content() if text_part else "",
        html_part.get_content() if html_part else None,
        path.stat().st_mtime,
    )


def preview_html(organisation: Organisation, content_html: str) -> str:
    """A message body in the organisation's layout, as a preview (unsubscribe goes nowhere)."""
    return wrap_in_layout(organisation, content_html, "#").replace(UNSUBSCRIBE_PLACEHOLDER, "#")
