"""Campaigns (MSG-6): hand-added recipients, distribute through the ledger, the log,
resending to the failed, the report to the sender, export, consent (MSG-5)."""

import csv
import io
from datetime import date

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from regulars.customers.models import Customer
from regulars.messaging import campaigns, delivery
from regulars.messaging.campaigns import CampaignError
from regulars.messaging.exports import export_recipients
from regulars.messaging.mergecodes import TemplateError
from regulars.messaging.models import Message, Status
from regulars.messaging.queries import recipient_log
from regulars.messaging.reports import send_distribution_reports
from tests.messaging_support import FaultySink, start_sink, use_sink


def customer(org, n, **fields):
    values = {
        "external_id": f"C{n}",
        "first_name": f"Navn{n}",
        "last_name": "Berg",
        "email": f"c{n}@example.com",
        "mobile": f"+4790000{n:03d}",
        "email_consent": True,
        "sms_consent": True,
        "birth_date": date(1985, 1, n % 28 + 1),
        "created_at": timezone.now(),
    }
    values.update(fields)
    return Customer.objects.create(organisation=org, **values)


@pytest.fixture
def sink(settings):
    handler = FaultySink()
    controller = start_sink(handler)
    use_sink(settings, controller)
    settings.MESSAGING_RETRY_BASE_SECONDS = 0
    yield handler
    controller.stop()


@pytest.fixture
def campaign(org, alice):
    return campaigns.create_campaign(
        organisation=org,
        created_by=alice,
        description="Spring news",
        kind="newsletter",
        dispatch="email_report",
        subject="Spring is here",
        body="<p>Hi #FirstName#, born #Birthday#.</p><p>#DirectLink#</p>",
        direct_link="front",
    )


def test_content_errors_refuse_the_save(org):
    with pytest.raises(TemplateError, match="#FirstName#"):
        campaigns.create_campaign(
            organisation=org,
            description="x",
            dispatch="email",
            subject="Hi #FirstName#",
            body="<p>x</p>",
        )
    with pytest.raises(TemplateError, match="unknown merge code #Fornavn#"):
        campaigns.create_campaign(
            organisation=org,
            description="x",
            dispatch="email",
            subject="Hi",
            body="<p>#Fornavn#</p>",
        )
    with pytest.raises(ValueError, match="needs 11 parts"):
        campaigns.create_campaign(
            organisation=org, description="x", dispatch="sms", body="a" * 1531
        )


def test_direct_links_must_point_at_something_of_this_organisation(org, other_org):
    from regulars.commerce.models import Item, ItemGroup

    group = ItemGroup.objects.create(organisation=org, name="Hair")
    Item.objects.create(organisation=org, number="100", name="Cut", group=group)
    Item.objects.create(organisation=other_org, number="200", name="Theirs")
    ok = {"organisation": org, "description": "x", "dispatch": "email", "subject": "x"}
    campaigns.create_campaign(**ok, body="<p>#DirectLink:item:100# #DirectLink:itemgroup:Hair#</p>")
    with pytest.raises(CampaignError, match="#DirectLink:item:200# points at nothing"):
        campaigns.create_campaign(**ok, body="<p>#DirectLink:item:200#</p>")
    with pytest.raises(CampaignError, match="points at nothing: 999"):
        campaigns.create_campaign(
            **ok, body="<p>#DirectLink#</p>", direct_link="article", direct_link_target="999"
        )


def test_distribute_sends_once_logs_every_recipient_and_reports(
    org, other_org, alice, campaign, sink
):
    ok = [customer(org, n) for n in range(3)]
    no_consent = customer(org, 10, email_consent=False)
    no_email = customer(org, 11, email="")
    no_birthday = customer(org, 12, birth_date=None)
    stranger = customer(other_org, 13)
    for person in [*ok, no_consent, no_email, no_birthday]:
        campaigns.add_recipient(campaign=campaign, customer=person)
    with pytest.raises(CampaignError):
        campaigns.add_recipient(campaign=campaign, customer=stranger)

    left_out = {r.customer_id: r.skip_reason for r in campaign.recipients.all() if r.skip_reason}
    assert left_out == {no_consent.pk: "no consent", no_email.pk: "no address"}

    distribution = campaigns.distribute(campaign=campaign, started_by=alice)
    assert distribution.queued == 3
    with pytest.raises(CampaignError, match="no recipients left"):
        campaigns.distribute(campaign=campaign, started_by=alice)
    assert send_distribution_reports() == 0  # not delivered yet
    delivery.deliver_all()

    statuses = {
        row.recipient.customer_id: (row.status, row.reason) for row in recipient_log(campaign)
    }
    assert statuses == {
        ok[0].pk: ("sent", ""),
        ok[1].pk: ("sent", ""),
        ok[2].pk: ("sent", ""),
        no_consent.pk: ("skipped", "no consent"),
        no_email.pk: ("skipped", "no address"),
        no_birthday.pk: ("skipped", "no value for #Birthday#"),
    }
    assert sorted(sink.by_recipient()) == ["c0@example.com", "c1@example.com", "c2@example.com"]
    mail = next(m for m in sink.messages if m["To"] == "c1@example.com")
    html = mail.get_body(("html",)).get_content()
    assert "Hi Navn1, born 02.01.1985." in html
    assert "/t/c/" in html  # the front-page link goes through the click redirect

    assert send_distribution_reports() == 1
    assert send_distribution_reports() == 0
    delivery.deliver_all()
    report = next(m for m in sink.messages if m["To"] == "alice@example.com")
    # In the organisation's language (the salon's is Danish).
    assert report["Subject"] == "Rapport: Spring news, udsendelse 1"
    text = report.get_body(("plain",)).get_content()
    assert "Sendt: 3\r\n" in text and "Sprunget over: 2\r\n" in text and "I alt: 5" in text


def test_resend_to_the_failed_of_the_last_distribution(org, alice, campaign, sink):
    people = [customer(org, n) for n in range(3)]
    for person in people:
        campaigns.add_recipient(campaign=campaign, customer=person)
    sink.refuse = {"c1@example.com": "550 5.1.1 Mailbox unavailable"}
    campaigns.distribute(campaign=campaign, started_by=alice)
    delivery.deliver_all()
    assert [r.customer_id for r in campaigns.failed_recipients(campaign)] == [people[1].pk]

    sink.refuse = {}
    second = campaigns.resend_failed(campaign=campaign, started_by=alice)
    assert (second.number, second.queued) == (2, 1)
    delivery.deliver_all()
    assert sink.by_recipient() == {f"c{n}@example.com": 1 for n in range(3)}
    assert list(campaigns.failed_recipients(campaign)) == []
    with pytest.raises(CampaignError, match="No recipient"):
        campaigns.resend_failed(campaign=campaign, started_by=alice)
    assert Message.objects.filter(source=f"campaign:{campaign.pk}").count() == 4


def test_reaching_those_not_signed_up(org, alice, sink):
    quiet = customer(org, 1, email_consent=False)
    campaign = campaigns.create_campaign(
        organisation=org,
        description="Recall",
        dispatch="email",
        subject="Recall",
        body="<p>Service</p>",
        requires_consent=False,
    )
    campaigns.add_recipient(campaign=campaign, customer=quiet)
    assert campaigns.distribute(campaign=campaign, started_by=alice).queued == 1


def test_sms_campaign_renders_text(org, alice, settings, tmp_path):
    settings.OUTBOX_DIR = tmp_path
    person = customer(org, 1)
    campaign = campaigns.create_campaign(
        organisation=org,
        description="SMS",
        dispatch="sms",
        body="Hej #FirstName#! Stop: #UnsubscribeLink#",
    )
    campaigns.add_recipient(campaign=campaign, customer=person)
    campaigns.distribute(campaign=campaign, started_by=alice)
    delivery.deliver_all()
    message = Message.objects.get(channel="sms")
    assert message.status == Status.SENT
    assert message.to_address == "+4790000001"
    saved = (tmp_path / "salon" / f"sms-{message.pk}.json").read_text()
    assert "Hej Navn1! Stop: http://127.0.0.1:8000/t/u/" in saved


def test_export_csv_and_xlsx(org, campaign):
    campaigns.add_recipient(campaign=campaign, customer=customer(org, 1))
    campaigns.add_recipient(campaign=campaign, customer=customer(org, 2, email=""))
    rows = list(csv.reader(io.StringIO(export_recipients(campaign, "csv").decode())))
    assert rows == [
        ["external_id", "first_name", "last_name", "email", "mobile", "status", "reason"],
        ["C1", "Navn1", "Berg", "c1@example.com", "+4790000001", "pending", ""],
        ["C2", "Navn2", "Berg", "", "+4790000002", "skipped", "no address"],
    ]
    sheet = load_workbook(io.BytesIO(export_recipients(campaign, "xlsx"))).active
    assert [cell.value for cell in sheet[3]][:4] == ["C2", "Navn2", "Berg", None]


def test_a_distribution_is_queued_chunk_by_chunk_and_resumed_after_a_crash(
    org, alice, campaign, sink, monkeypatch
):
    for n in range(5):
        campaigns.add_recipient(campaign=campaign, customer=customer(org, n))
    monkeypatch.setattr(campaigns, "CHUNK_SIZE", 2)
    render_for = campaigns.render_for
    rendered = []

    def dies_at_the_third(*args):
        rendered.append(args)
        if len(rendered) == 3:
            raise RuntimeError("the process died")
        return render_for(*args)

    monkeypatch.setattr(campaigns, "render_for", dies_at_the_third)
    with pytest.raises(RuntimeError):
        campaigns.distribute(campaign=campaign, started_by=alice)

    # The first chunk is committed and delivered; the distribution is not finished, so no
    # report yet, and nothing can be resent before it is.
    delivery.deliver_all()
    assert sink.by_recipient() == {"c0@example.com": 1, "c1@example.com": 1}
    assert send_distribution_reports() == 0
    with pytest.raises(CampaignError, match="not fully queued"):
        campaigns.resend_failed(campaign=campaign, started_by=alice)

    monkeypatch.setattr(campaigns, "render_for", render_for)
    resumed = campaigns.distribute(campaign=campaign, started_by=alice)
    assert (resumed.number, resumed.queued) == (1, 5)
    assert resumed.queued_at is not None
    delivery.deliver_all()
    assert sink.by_recipient() == {f"c{n}@example.com": 1 for n in range(5)}
    assert send_distribution_reports() == 1
    with pytest.raises(CampaignError, match="no recipients left"):
        campaigns.distribute(campaign=campaign, started_by=alice)
