"""Mail back-ends of our own."""

from django.conf import settings
from django.core.mail.backends.filebased import EmailBackend


class OutboxEmailBackend(EmailBackend):
    """Keeps every message on disk under OUTBOX_DIR (the demo's local outbox)."""

    def __init__(self, *args, **kwargs):
        settings.OUTBOX_DIR.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("file_path", str(settings.OUTBOX_DIR))
        super().__init__(*args, **kwargs)
