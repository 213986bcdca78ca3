"""Tracking (MSG-7, INT-3) and unsubscribe (DATA-6): pixel, signed click redirect,
scanner clicks, anymail webhooks with signatures, RFC 8058 one-click, SMS STOP."""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from regulars.customers.models import ConsentRecord, Customer
from regulars.messaging.actions import queue_message
from regulars.messaging.models import Message, Status, Suppression
from regulars.tracking import links
from regulars.tracking.models import TrackingEvent

HUMAN = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


@pytest.fixture
def sent(org, other_org):
    """A sent e-mail in each organisation, sent a minute ago."""
    rows = []
    for organisation, n in ((org, 1), (other_org, 2)):
        person = Customer.objects.create(
            organisation=organisation,
            first_name=f"P{n}",
            email=f"p{n}@example.com",
            mobile=f"+4520000{n:03d}",
            email_consent=True,
            sms_consent=True,
            created_at=timezone.now(),
        )
        message = queue_message(
            organisation=organisation,
            customer=person,
            channel="email",
            key="news:1",
            subject="News",
            body_html="<p>x</p>",
            body_text="",
            source="test",
            requires_consent=True,
        )
        Message.objects.filter(pk=message.pk).update(
            status=Status.SENT,
            sent_at=timezone.now() - timedelta(minutes=1),
            provider_id=f"esp-{n}",
        )
        message.refresh_from_db()
        rows.append(message)
    return rows


def test_open_pixel_marks_opened(sent):
    message = sent[0]
    response = Client().get(
        links.open_pixel_url(message.pk).removeprefix("http://127.0.0.1:8000"),
        HTTP_USER_AGENT=HUMAN,
    )
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    message.refresh_from_db()
    assert message.status == Status.OPENED
    assert Message.objects.get(pk=sent[1].pk).status == Status.SENT


def path(url):
    return url.removeprefix("http://127.0.0.1:8000")


def test_click_redirects_only_with_a_valid_token(sent):
    message = sent[0]
    target = "https://salon.example/offer?a=1&b=2"
    response = Client().get(path(links.click_url(message.pk, target)), HTTP_USER_AGENT=HUMAN)
    assert response.status_code == 302 and response["Location"] == target
    message.refresh_from_db()
    assert message.status == Status.CLICKED and message.opened_at is not None

    tampered = path(links.click_url(message.pk, target)).replace(
        quote(target, safe=""), quote("https://evil.example/", safe="")
    )
    other_message = path(links.click_url(message.pk, target)).replace(
        f"/c/{message.pk}/", f"/c/{sent[1].pk}/"
    )
    unknown = path(links.click_url(999999, target))
    for url in (tampered, other_message, unknown, "/t/c/1/abc/?u=https://evil.example/"):
        response = Client().get(url)
        assert response.status_code == 404
        assert "Location" not in response


def test_scanner_clicks_are_flagged_and_kept_out(sent):
    message = sent[0]
    client = Client()
    client.get(
        path(links.click_url(message.pk, "https://a.example/")),
        HTTP_USER_AGENT="Mozilla/5.0 (compatible; Barracuda Sentinel)",
    )
    message.refresh_from_db()
    assert message.status == Status.SENT
    # A sweep: two different links within two seconds, even with a browser agent.
    client.get(path(links.click_url(message.pk, "https://b.example/")), HTTP_USER_AGENT=HUMAN)
    client.get(path(links.click_url(message.pk, "https://c.example/")), HTTP_USER_AGENT=HUMAN)
    flags = list(TrackingEvent.objects.order_by("id").values_list("url", "is_scanner"))
    assert flags == [
        ("https://a.example/", True),
        ("https://b.example/", True),
        ("https://c.example/", True),
    ]
    # An instant click right after sending is a scanner too.
    Message.objects.filter(pk=message.pk).update(sent_at=timezone.now())
    client.get(path(links.click_url(message.pk, "https://d.example/")), HTTP_USER_AGENT=HUMAN)
    assert TrackingEvent.objects.get(url="https://d.example/").is_scanner is True
    message.refresh_from_db()
    assert message.clicked_at is None


def test_one_click_unsubscribe(sent, org):
    message = sent[0]
    url = path(links.unsubscribe_url(message.pk))
    page = Client().get(url)
    assert page.status_code == 200
    assert "Vil du afmelde vores nyhedsbrev på e-mail?" in page.content.decode()
    assert ConsentRecord.objects.count() == 0  # GET only shows the confirm page
    client = Client(enforce_csrf_checks=True)
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "Location" not in response
    record = ConsentRecord.objects.get()
    assert (record.kind, record.granted, record.message_key, record.source) == (
        "email",
        False,
        "news:1",
        "unsubscribe link",
    )
    assert Customer.objects.get(pk=message.customer_id).email_consent is False
    assert Customer.objects.get(pk=sent[1].customer_id).email_consent is True
    assert client.post(url).status_code == 200
    assert ConsentRecord.objects.count() == 1
    assert Client().post(url.replace(url.split("/")[-2], "0" * 32)).status_code == 404


def _mailgun_event(event, message_id, key, **extra):
    timestamp, token = str(int(time.time())), "tok" * 10
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "event": event,
        "timestamp": time.time(),
        "id": "ev1",
        "message": {"headers": {"message-id": message_id}},
        "recipient": "p1@example.com",
    }
    data.update(extra)
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": data,
    }


@pytest.fixture
def mailgun(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "key-signing", "WEBHOOK_SECRET": "hook:pw"}
    auth = base64.b64encode(b"hook:pw").decode()
    # A refused signature is a SuspiciousOperation: a 400 answer, as in production.
    return Client(headers={"Authorization": f"Basic {auth}"}, raise_request_exception=False)


def test_webhook_bounce_suppresses_and_bad_signature_is_refused(sent, mailgun, org):
    url = "/t/anymail/mailgun/tracking/"
    forged = _mailgun_event("failed", "esp-1", "wrong-key", severity="permanent")
    response = mailgun.post(url, json.dumps(forged), content_type="application/json")
    assert response.status_code == 400
    assert Suppression.objects.count() == 0

    bounce = _mailgun_event("failed", "esp-1", "key-signing", severity="permanent")
    assert mailgun.post(url, json.dumps(bounce), content_type="application/json").status_code == 200
    assert Message.objects.get(pk=sent[0].pk).status == Status.BOUNCED
    assert list(Suppression.objects.values_list("organisation__slug", "address")) == [
        ("salon", "p1@example.com")
    ]
    delivered = _mailgun_event("delivered", "esp-2", "key-signing")
    mailgun.post(url, json.dumps(delivered), content_type="application/json")
    assert Message.objects.get(pk=sent[1].pk).status == Status.DELIVERED


def test_sms_stop_reply_withdraws_sms_consent(sent, org, settings):
    settings.SMS_WEBHOOK_SECRET = "s3cret"
    body = json.dumps({"from": "+4520000001", "text": "STOP"}).encode()
    good = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    client = Client()
    bad = client.post(
        "/t/sms/salon/generic/",
        body,
        content_type="application/json",
        HTTP_X_REGULARS_SIGNATURE="0" * 64,
    )
    assert bad.status_code == 403
    ok = client.post(
        "/t/sms/salon/generic/",
        body,
        content_type="application/json",
        HTTP_X_REGULARS_SIGNATURE=good,
    )
    assert ok.json() == {"stopped": 1}
    assert Customer.objects.get(pk=sent[0].customer_id).sms_consent is False
    assert Customer.objects.get(pk=sent[1].customer_id).sms_consent is True
    record = ConsentRecord.objects.get()
    assert (record.kind, record.source) == ("sms", "sms reply (generic)")


def test_twilio_stop_signature(sent, settings):
    settings.SMS_GATEWAY_TOKEN = "twilio-auth"
    params = {"From": "+4520000001", "Body": "Stop", "MessageSid": "SM1"}
    url = "http://127.0.0.1:8000/t/sms/salon/twilio/"
    payload = url + "".join(f"{k}{v}" for k, v in sorted(params.items()))
    signature = base64.b64encode(
        hmac.new(b"twilio-auth", payload.encode(), hashlib.sha1).digest()
    ).decode()
    client = Client()
    assert (
        client.post("/t/sms/salon/twilio/", params, HTTP_X_TWILIO_SIGNATURE="x").status_code == 403
    )
    assert client.post(
        "/t/sms/salon/twilio/", params, HTTP_X_TWILIO_SIGNATURE=signature
    ).json() == {"stopped": 1}
