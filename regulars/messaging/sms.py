"""SMS: GSM-7/UCS-2 part counting (MSG-3) and gateway adapters over their HTTP APIs.

Gateways (settings SMS_GATEWAY, SMS_GATEWAY_URL, SMS_GATEWAY_TOKEN, SMS_GATEWAY_ACCOUNT,
SMS_SENDER):
- ``gatewayapi``: GatewayAPI REST ``POST /rest/mtsms`` (JSON, token as basic-auth user).
- ``twilio``: Twilio ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (form, basic auth).
- ``generic``: ``POST {url}`` JSON ``{"to", "from", "text"}`` with a bearer token,
  answering ``{"id": …}``.
- ``outbox``: kept on disk in the organisation's local outbox folder (the demo).
A 2xx answer the adapter cannot read fails the message permanently (it may have been
sent, so it is not retried blindly); 429, 5xx and dropped connections are retried.
"""

import json
import math
from dataclasses import dataclass

import requests
from django.conf import settings

from .backends import ORGANISATION_HEADER, outbox_folder
from .compose import sms_text
from .models import Message
from .transports import PermanentError, TransientError

MAX_PARTS = 10

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Reached through the escape code, so each counts as two septets.
GSM7_EXTENSION = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)


@dataclass(frozen=True)
class SmsCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int
    per_part: int  # the limit of one part at this length (160/153 or 70/67)


def count_sms(text: str) -> SmsCount:
    """Characters and parts of an SMS, as the editor shows them while typing.

    Multi-part messages carry a header, leaving 153 septets / 67 UTF-16 units per part; an
    escape pair or a surrogate pair is never split between parts.
    """
    if all(ch in _BASIC or ch in _EXTENSION for ch in text):
        sizes = [2 if ch in _EXTENSION else 1 for ch in text]
        return _parts("GSM-7", sizes, single=160, multi=153)
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return _parts("UCS-2", sizes, single=70, multi=67)


def _parts(encoding: str, sizes: list[int], *, single: int, multi: int) -> SmsCount:
    units = sum(sizes)
    if units <= single:
        return SmsCount(encoding, units, 1 if units else 0, single)
    parts, used = 1, 0
    for size in sizes:
        if used + size > multi:
            parts, used = parts + 1, 0
        used += size
    return SmsCount(encoding, units, max(parts, math.ceil(units / multi)), multi)


def validate_sms(text: str) -> SmsCount:
    """The count, or ValueError when the text is empty or needs more than 10 parts."""
    count = count_sms(text)
    if not text.strip():
        raise ValueError("the SMS text is empty")
    if count.parts > MAX_PARTS:
        raise ValueError(
            f"the SMS needs {count.parts} parts ({count.units} {count.encoding} characters); "
            f"at most {MAX_PARTS} are allowed"
        )
    return count


class HttpGateway:
    """Shared HTTP handling: one session, errors sorted into transient and permanent."""

    default_url = ""

    def __init__(self, *, url: str = "", token: str = "", account: str = "", sender: str = ""):
        self.url = (url or self.default_url).rstrip("/")
        self.token = token
        self.account = account
        self.sender = sender or settings.SMS_SENDER
        self.session = requests.Session()

    def post(self, url: str, **kwargs) -> dict:
        try:
            response = self.session.post(url, timeout=15, **kwargs)
        except requests.RequestException as error:
            raise TransientError(f"gateway unreachable: {error}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"gateway HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            raise PermanentError(f"gateway HTTP {response.status_code}: {response.text[:200]}")
        try:
            answer = response.json()
        except ValueError as error:
            raise PermanentError(f"unreadable gateway answer: {response.text[:200]!r}") from error
        if not isinstance(answer, dict):
            raise PermanentError(f"unreadable gateway answer: {response.text[:200]!r}")
        return answer

    def close(self) -> None:
        self.session.close()


def _provider_id(answer: dict, value) -> str:
    if value in (None, ""):
        raise PermanentError(f"gateway answer without a message id: {json.dumps(answer)[:200]}")
    return str(value)


class GatewayApi(HttpGateway):
    """GatewayAPI (gatewayapi.com) REST: POST /rest/mtsms, answer {"ids": [..]}."""

    default_url = "https://gatewayapi.com"

    def send(self, message: Message) -> str:
        payload = {
            "sender": self.sender[:11],
            "message": sms_text(message),
            "recipients": [{"msisdn": int(message.to_address.lstrip("+"))}],
            "userref": message.key[:100],
        }
        answer = self.post(f"{self.url}/rest/mtsms", json=payload, auth=(self.token, ""))
        ids = answer.get("ids")
        return _provider_id(answer, ids[0] if isinstance(ids, list) and ids else None)


class Twilio(HttpGateway):
    """Twilio Messages API: POST /2010-04-01/Accounts/{sid}/Messages.json, answer {"sid"}."""

    default_url = "https://api.twilio.com"

    def send(self, message: Message) -> str:
        answer = self.post(
            f"{self.url}/2010-04-01/Accounts/{self.account}/Messages.json",
            data={"To": message.to_address, "From": self.sender, "Body": sms_text(message)},
            auth=(self.account, self.token),
        )
        return _provider_id(answer, answer.get("sid"))


class GenericGateway(HttpGateway):
    """Any gateway taking {"to", "from", "text"} JSON with a bearer token, answering {"id"}."""

    def send(self, message: Message) -> str:
        answer = self.post(
            self.url,
            json={"to": message.to_address, "from": self.sender, "text": sms_text(message)},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        return _provider_id(answer, answer.get("id"))


class OutboxGateway:
    """Keeps each SMS as a JSON file beside the organisation's e-mails in the local outbox."""

    def send(self, message: Message) -> str:
        folder = settings.OUTBOX_DIR / outbox_folder(
            {ORGANISATION_HEADER: message.organisation.slug}
        )
        folder.mkdir(parents=True, exist_ok=True)
        record = {"to": message.to_address, "text": sms_text(message), "key": message.key}
        path = folder / f"sms-{message.pk}.json"
        path.write_text(json.dumps(record, ensure_ascii=False))
        return f"outbox-sms-{message.pk}"

    def close(self) -> None:
        pass


GATEWAYS = {"gatewayapi": GatewayApi, "twilio": Twilio, "generic": GenericGateway}


def gateway_from_settings():
    if settings.SMS_GATEWAY == "outbox":
        return OutboxGateway()
    try:
        gateway = GATEWAYS[settings.SMS_GATEWAY]
    except KeyError:
        raise PermanentError(f"unknown SMS_GATEWAY {settings.SMS_GATEWAY!r}") from None
    return gateway(
        url=settings.SMS_GATEWAY_URL,
        token=settings.SMS_GATEWAY_TOKEN,
        account=settings.SMS_GATEWAY_ACCOUNT,
    )
