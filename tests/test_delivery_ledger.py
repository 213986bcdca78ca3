"""The delivery ledger: queue_message's contract, delivery over real SMTP, retries, failures."""

import smtplib
from datetime import date

import pytest
from django.utils import timezone

from regulars.customers.models import Customer
from regulars.messaging import delivery
from regulars.messaging.actions import queue_message, record_message_event
from regulars.messaging.models import Message, Status, Suppression
from regulars.tracking.links import unsubscribe_url
from tests.messaging_support import FaultySink, start_sink, use_sink


def make_customer(org, n, **fields):
    defaults = {
        "first_name": f"Kunde{n}",
        "last_name": "Hansen",
        "email": f"kunde{n}@example.com",
        "mobile": f"+45200000{n:02d}",
        "email_consent": True,
        "sms_consent": True,
        "created_at": timezone.now(),
        "birth_date": date(1990, 5, 17),
    }
    defaults.update(fields)
    return Customer.objects.create(organisation=org, **defaults)


def queue(org, customer, key="test:1", channel="email", requires_consent=True):
    return queue_message(
        organisation=org,
        customer=customer,
        channel=channel,
        key=key,
        subject="Hello",
        body_html="<p>Hello <a href='https://example.com/x'>there</a></p>",
        body_text="",
        source="test",
        requires_consent=requires_consent,
    )


@pytest.fixture(params=[False, True], ids=["one-by-one", "pipelining"])
def sink(request, settings):
    handler = FaultySink(pipelining=request.param)
    controller = start_sink(handler)
    use_sink(settings, controller)
    settings.MESSAGING_RETRY_BASE_SECONDS = 0
    yield handler
    controller.stop()


def test_same_key_twice_is_one_message(org):
    customer = make_customer(org, 1)
    first = queue(org, customer)
    second = queue(org, customer)
    assert first is not None and first.pk == second.pk
    assert Message.objects.count() == 1
    assert first.status == Status.QUEUED
    assert first.to_address == "kunde1@example.com"


def test_skips_are_kept_with_their_reason(org):
    no_mail = make_customer(org, 1, email="")
    no_consent = make_customer(org, 2, email_consent=False)
    assert queue(org, no_mail, key="a") is None
    assert queue(org, no_consent, key="b") is None
    reasons = dict(Message.objects.values_list("key", "skip_reason"))
    assert reasons == {"a": "no address", "b": "no consent"}
    # Marked to reach those who have not signed up: consent is not needed.
    assert queue(org, no_consent, key="b", requires_consent=False).status == Status.QUEUED
    assert Message.objects.get(key="b").status == Status.QUEUED


def test_customer_of_another_organisation_is_refused(org, other_org):
    stranger = make_customer(other_org, 9)
    with pytest.raises(ValueError):
        queue(org, stranger)
    assert Message.objects.count() == 0


def test_delivers_over_smtp_with_unsubscribe_headers(org, other_org, sink):
    queue(org, make_customer(org, 1))
    queue(other_org, make_customer(other_org, 2), key="test:1")
    assert delivery.deliver_all() == 2
    assert Message.objects.filter(status=Status.SENT).count() == 2
    by_to = {m["To"]: m for m in sink.messages}
    mail = by_to["kunde1@example.com"]
    message = Message.objects.get(organisation=org)
    assert mail["Message-ID"] == message.message_id
    # Long URLs get folded onto a continuation line; unfolded, it is the same header.
    assert mail["List-Unsubscribe"].strip() == f"<{unsubscribe_url(message.pk)}>"
    assert unsubscribe_url(message.pk).startswith(f"http://127.0.0.1:8000/t/u/{message.pk}/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Salon Saks &amp; Sax" in mail.get_body(("html",)).get_content()
    plain = mail.get_body(("plain",)).get_content()
    assert "Afmeld: http://127.0.0.1:8000/t/u/" in plain  # the salon writes Danish
    assert "Other Venue" not in mail.as_string()
    assert delivery.deliver_all() == 0


def test_transient_answers_are_retried_until_accepted(org, sink):
    sink.fail_every = 2
    for n in range(6):
        queue(org, make_customer(org, n), key=f"k{n}")
    delivery.deliver_all()
    assert sink.by_recipient() == {f"kunde{n}@example.com": 1 for n in range(6)}
    assert Message.objects.filter(status=Status.SENT).count() == 6
    assert Message.objects.filter(attempts__gt=1).count() >= 1


def test_permanent_refusal_fails_with_reason_and_is_not_retried(org, sink):
    sink.refuse = {"kunde1@example.com": "550 5.1.1 No such user"}
    queue(org, make_customer(org, 1))
    delivery.deliver_all()
    message = Message.objects.get()
    assert message.status == Status.FAILED
    assert message.last_error == "550 5.1.1 No such user"
    assert message.attempts == 1
    assert sink.messages == []


@pytest.mark.parametrize("sessions", [1, 2])
def test_a_refused_recipient_in_the_middle_of_a_batch_fails_alone(org, sink, sessions):
    """With PIPELINING the next message's envelope rides with this one's content; its
    refusal must not touch the message before it, nor the ones after."""
    sink.refuse = {"kunde2@example.com": "550 5.1.1 No such user"}
    for n in range(5):
        queue(org, make_customer(org, n), key=f"k{n}")
    assert delivery.deliver_all(threads=sessions) == 5
    assert sink.by_recipient() == {f"kunde{n}@example.com": 1 for n in (0, 1, 3, 4)}
    refused = Message.objects.get(key="k2")
    assert (refused.status, refused.last_error, refused.attempts) == (
        Status.FAILED,
        "550 5.1.1 No such user",
        1,
    )
    assert Message.objects.filter(status=Status.SENT).count() == 4


def test_pipelining_sends_one_write_per_message(org, settings, monkeypatch):
    """Each message's content and the next one's MAIL/RCPT/DATA go in one write: one round
    trip per message instead of two."""
    handler = FaultySink(pipelining=True)
    controller = start_sink(handler)
    use_sink(settings, controller)
    writes = []
    send = smtplib.SMTP.send

    def counting_send(self, data):
        writes.append(data)
        return send(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", counting_send)
    try:
        for n in range(10):
            queue(org, make_customer(org, n), key=f"k{n}")
        assert delivery.deliver_all(limit=50) == 10
    finally:
        controller.stop()
    assert len(handler.messages) == 10
    assert max(handler.message_ids().values()) == 1
    # EHLO, the first envelope, ten contents (nine carrying the next envelope), QUIT.
    assert len(writes) == 13, [w[:40] for w in writes]


def test_backoff_keeps_a_failed_attempt_out_until_due(org, sink, settings):
    settings.MESSAGING_RETRY_BASE_SECONDS = 60
    sink.fail_every = 1
    queue(org, make_customer(org, 1))
    assert delivery.deliver_all() == 1
    message = Message.objects.get()
    assert message.status == Status.QUEUED
    assert message.next_attempt_at > timezone.now() + timezone.timedelta(seconds=50)
    assert "451" in message.last_error


def test_bounce_suppresses_the_address(org, sink):
    message = queue(org, make_customer(org, 1))
    delivery.deliver_all()
    record_message_event(message=message, event="bounced")
    assert Suppression.objects.filter(organisation=org, address="kunde1@example.com").count() == 1
    customer = message.customer
    assert queue(org, customer, key="again") is None
    assert Message.objects.get(key="again").skip_reason.startswith("address suppressed")


def test_a_claim_takes_the_oldest_due_rows_up_to_its_limit(org):
    for n in range(30):
        queue(org, make_customer(org, n), key=f"test:{n}")
    first_claim, first = delivery.claim_batch(limit=10)
    second_claim, second = delivery.claim_batch(limit=10)
    ids = sorted(Message.objects.values_list("id", flat=True))
    assert [m.pk for m in first] == ids[:10]
    assert [m.pk for m in second] == ids[10:20]
    assert {m.status for m in first + second} == {"sending"}
    assert Message.objects.filter(claimed_by=first_claim).count() == 10
    assert Message.objects.filter(status=Status.QUEUED).count() == 10


def test_stale_claims_are_released(org):
    queue(org, make_customer(org, 1))
    claim, batch = delivery.claim_batch(limit=10)
    assert [m.status for m in batch] == ["sending"]
    assert delivery.release_stale_claims(lease_seconds=3600) == 0
    assert delivery.release_stale_claims(lease_seconds=0) == 1
    assert Message.objects.get().status == Status.QUEUED


def test_text_only_message_gets_an_html_part_too(org, sink):
    """Other areas (loyalty notices) queue text only; the HTML part carries the same words."""
    queue_message(
        organisation=org,
        customer=make_customer(org, 1),
        channel="email",
        key="t",
        subject="Points",
        body_html=None,
        body_text="You have 10 points.\n\nSee you <3",
        source="loyalty",
        requires_consent=False,
    )
    delivery.deliver_all()
    mail = sink.messages[0]
    assert (
        "<p>You have 10 points.</p><p>See you &lt;3</p>" in mail.get_body(("html",)).get_content()
    )
    assert (
        mail.get_body(("plain",)).get_content().startswith("You have 10 points.\r\n\r\nSee you <3")
    )


def test_gdpr_export_and_forget(org, other_org):
    from regulars.messaging.actions import forget_customer
    from regulars.messaging.queries import messages_for_customer

    person = make_customer(org, 1)
    stranger = make_customer(other_org, 1)
    queue(org, person)
    queue(other_org, stranger)
    exported = messages_for_customer(person)
    assert [(m["key"], m["to_address"], m["status"]) for m in exported] == [
        ("test:1", "kunde1@example.com", "queued")
    ]
    assert forget_customer(customer=person) == 1
    kept = Message.objects.get(customer=person)
    assert (kept.key, kept.to_address, kept.subject, kept.body_html) == ("test:1", "", "", "")
    assert (kept.status, kept.skip_reason) == ("skipped", "customer erased")
    assert Message.objects.get(customer=stranger).to_address == "kunde1@example.com"
