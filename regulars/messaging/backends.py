"""Mail back-ends of our own."""

import re
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

ORGANISATION_HEADER = "X-Regulars-Organisation"


class OutboxEmailBackend(BaseEmailBackend):
    """Keeps every message as an .eml file under OUTBOX_DIR/<organisation slug>/ (the demo's
    local outbox, listed in the back office per organisation)."""

    def send_messages(self, email_messages) -> int:
        for email in email_messages:
            folder = settings.OUTBOX_DIR / outbox_folder(email.extra_headers)
            folder.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(email.message().as_bytes(linesep="\n"))
        return len(email_messages)


def outbox_folder(headers: dict) -> str:
    slug = str(headers.get(ORGANISATION_HEADER, "")) or "_unknown"
    return re.sub(r"[^A-Za-z0-9_-]", "_", slug)
