"""Uploaded import files kept between the dry run and the confirmation.

The file waits in the imports folder (regulars.imports.jobs.import_dir) with a random
name; the confirmation form carries a signed token naming the file, the kind and the
organisation, so no one can confirm another organisation's upload or a file of their own
choosing.
"""

import uuid
from pathlib import Path

from django.core import signing

from regulars.imports.jobs import upload_path

SALT = "regulars.web.imports.upload"
MAX_AGE_SECONDS = 24 * 3600
SUFFIXES = (".csv", ".xlsx")


def store_upload(uploaded, *, organisation_id: int, kind: str) -> str:
    """Save the upload; return the token the confirmation sends back."""
    suffix = Path(uploaded.name).suffix.lower()
    name = f"{uuid.uuid4().hex}{suffix if suffix in SUFFIXES else ''}"
    with open(upload_path(name), "wb") as handle:
        for chunk in uploaded.chunks():
            handle.write(chunk)
    return upload_token(file=name, organisation_id=organisation_id, kind=kind, name=uploaded.name)


def upload_token(*, file: str, organisation_id: int, kind: str, name: str) -> str:
    payload = {"file": file, "org": organisation_id, "kind": kind, "name": name}
    return signing.dumps(payload, salt=SALT)


def open_upload(token: str, *, organisation_id: int) -> dict | None:
    """The upload a token names (with "path"), or None when forged, expired or gone."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    path = upload_path(payload["file"])
    if payload.get("org") != organisation_id or not path.is_file():
        return None
    return {**payload, "path": path}


def discard_upload(upload: dict) -> None:
    Path(upload["path"]).unlink(missing_ok=True)
