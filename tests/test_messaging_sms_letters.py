"""SMS gateways over their documented HTTP APIs (a local server speaks GatewayAPI's and
Twilio's protocol), and letters as print-ready PDFs read back with pdftotext."""

import base64
import json
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from regulars.customers.models import Customer
from regulars.messaging import campaigns, delivery
from regulars.messaging.actions import queue_message
from regulars.messaging.letters import render_letters
from regulars.messaging.models import Message, Status


class FakeGateway(BaseHTTPRequestHandler):
    """Answers like GatewayAPI (POST /rest/mtsms) and Twilio (POST …/Messages.json)."""

    received: list = []
    answers: list = []  # queued (status, body) to give instead of the normal answer

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        auth = base64.b64decode(self.headers["Authorization"].split()[1]).decode()
        self.received.append((self.path, auth, self.headers["Content-Type"], body))
        if self.answers:
            status, answer = self.answers.pop(0)
        elif self.path == "/rest/mtsms":
            status, answer = 200, json.dumps({"ids": [421337], "usage": {"total_cost": 0.1}})
        elif self.path.endswith("/Messages.json"):
            status, answer = 201, json.dumps({"sid": "SM0123", "status": "queued"})
        else:
            status, answer = 404, "{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    FakeGateway.received, FakeGateway.answers = [], []
    server = HTTPServer(("127.0.0.1", 0), FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}"
    settings.SMS_GATEWAY_TOKEN = "secret-token"
    settings.SMS_GATEWAY_ACCOUNT = "AC123"
    settings.SMS_SENDER = "Salon"
    settings.MESSAGING_RETRY_BASE_SECONDS = 0
    yield FakeGateway
    server.shutdown()


def sms_to(org, key="sms:1"):
    person = Customer.objects.create(
        organisation=org,
        first_name="Ola",
        mobile="+4791234567",
        sms_consent=True,
        created_at=timezone.now(),
    )
    return queue_message(
        organisation=org,
        customer=person,
        channel="sms",
        key=key,
        subject="",
        body_html=None,
        body_text="Hej Ola! Rødgrød",
        source="test",
        requires_consent=True,
    )


def test_gatewayapi(org, gateway, settings):
    settings.SMS_GATEWAY = "gatewayapi"
    message = sms_to(org)
    delivery.deliver_all()
    path, auth, content_type, body = gateway.received[0]
    assert (path, auth, content_type) == ("/rest/mtsms", "secret-token:", "application/json")
    assert json.loads(body) == {
        "sender": "Salon",
        "message": "Hej Ola! Rødgrød",
        "recipients": [{"msisdn": 4791234567}],
        "userref": "sms:1",
    }
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (Status.SENT, "421337")


def test_twilio(org, gateway, settings):
    settings.SMS_GATEWAY = "twilio"
    message = sms_to(org)
    delivery.deliver_all()
    path, auth, content_type, body = gateway.received[0]
    assert path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert auth == "AC123:secret-token"
    assert content_type == "application/x-www-form-urlencoded"
    assert parse_qs(body.decode()) == {
        "To": ["+4791234567"],
        "From": ["Salon"],
        "Body": ["Hej Ola! Rødgrød"],
    }
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (Status.SENT, "SM0123")


def test_gateway_errors_retry_fail_or_refuse_garbage(org, gateway, settings):
    settings.SMS_GATEWAY = "gatewayapi"
    gateway.answers = [(503, "{}"), (200, json.dumps({"ids": [7]}))]
    first = sms_to(org, "a")
    delivery.deliver_all()
    first.refresh_from_db()
    assert (first.status, first.attempts, first.provider_id) == (Status.SENT, 2, "7")

    gateway.answers = [(400, json.dumps({"code": "0x0201", "message": "Invalid recipients"}))]
    Message.objects.all().delete()
    second = sms_to(org, "b")
    delivery.deliver_all()
    second.refresh_from_db()
    assert second.status == Status.FAILED
    assert (
        second.last_error.startswith("gateway HTTP 400: ")
        and "Invalid recipients" in second.last_error
    )

    gateway.answers = [(200, "<html>oops</html>")]
    Message.objects.all().delete()
    third = sms_to(org, "c")
    delivery.deliver_all()
    third.refresh_from_db()
    # Possibly sent: marked failed with the reason, never retried blindly (no duplicates).
    assert (third.status, third.attempts) == (Status.FAILED, 1)
    assert third.last_error == "unreadable gateway answer: '<html>oops</html>'"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_letters_pdf_one_page_per_recipient_with_address_in_the_window(
    org, alice, other_org, tmp_path, settings
):
    settings.LETTERS_DIR = tmp_path
    org.address, org.postcode, org.city = "Torvet 1", "8000", "Aarhus C"
    org.save()
    people = [
        Customer.objects.create(
            organisation=org,
            first_name=f"Jens{n}",
            last_name="Jensen",
            address=f"Vejen {n}",
            postcode="2100",
            city="København Ø",
            created_at=timezone.now(),
        )
        for n in (1, 2)
    ]
    no_address = Customer.objects.create(
        organisation=org, first_name="Uden", last_name="Adresse", created_at=timezone.now()
    )
    campaign = campaigns.create_campaign(
        organisation=org,
        description="Brev",
        dispatch="print",
        subject="",
        body="<p>Kære #FirstName#, tak!</p>",
    )
    for person in [*people, no_address]:
        campaigns.add_recipient(campaign=campaign, customer=person)
    campaigns.distribute(campaign=campaign, started_by=alice)
    delivery.deliver_all()
    letters = Message.objects.filter(channel="letter", status=Status.SENT).order_by("id")
    assert letters.count() == 2
    assert Message.objects.get(customer=no_address).skip_reason == "no address"
    pdf = tmp_path / "letters.pdf"
    pdf.write_bytes(render_letters(org, letters))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) == 2
    assert "Jens1 Jensen" in pages[0] and "Vejen 1" in pages[0] and "2100 København Ø" in pages[0]
    assert "Kære Jens1, tak!" in pages[0] and "Jens2" not in pages[0]
    assert "Salon Saks & Sax" in pages[1] and "Kære Jens2, tak!" in pages[1]
    # The address block sits in the envelope window: 20 mm from the left, 45–90 mm down.
    box = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(row for row in box.splitlines() if ">Vejen<" in row)
    x_min = float(line.split('xMin="')[1].split('"')[0]) * 25.4 / 72
    y_min = float(line.split('yMin="')[1].split('"')[0]) * 25.4 / 72
    assert 19 <= x_min <= 25 and 50 <= y_min <= 90, (x_min, y_min)
    # Each letter also exists as its own PDF file, written by the letter transport.
    assert sorted(p.name for p in (tmp_path / "salon").iterdir()) == sorted(
        f"{m.pk}.pdf" for m in letters
    )
