"""Campaign pages: create, recipients by hand, distribute, log, export, preview, outbox;
roles (a viewer reads, never changes) and tenants (another organisation's campaign is 404)."""

import email
import email.policy

import pytest
from django.test import Client
from django.utils import timezone

from regulars.customers.models import Customer
from regulars.messaging import campaigns, delivery
from regulars.messaging.models import Campaign, Message
from tests.conftest import PASSWORD


def login(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def people(org, other_org):
    def make(organisation, n, **extra):
        values = {
            "first_name": f"Kari{n}",
            "last_name": "Nordmann",
            "email": f"kari{n}@example.com",
            "external_id": f"K{n}",
            "email_consent": True,
            "created_at": timezone.now(),
            **extra,
        }
        return Customer.objects.create(organisation=organisation, **values)

    return [make(org, 1), make(org, 2, email=""), make(other_org, 3)]


FORM = {
    "description": "Autumn newsletter",
    "kind": "newsletter",
    "dispatch": "email",
    "direct_link": "front",
    "direct_link_target": "",
    "requires_consent": "on",
    "subject": "Autumn at the salon",
    "body": "<p>Dear #FirstName#, see #DirectLink#</p>",
    "article": "",
    "rules_json": "",
}


def test_marketer_creates_distributes_and_reads_the_log(
    org, other_org, mia, bob, people, settings, tmp_path
):
    settings.OUTBOX_DIR = tmp_path
    settings.EMAIL_BACKEND = "regulars.messaging.backends.OutboxEmailBackend"
    client = login(mia)
    assert client.get("/campaigns/").status_code == 200
    bad = client.post("/campaigns/new/", {**FORM, "subject": "Hi #FirstName#"})
    assert bad.status_code == 200
    assert "merge codes are allowed in the text only" in bad.content.decode()
    unknown = client.post("/campaigns/new/", {**FORM, "body": "<p>#Fornavn#</p>"})
    assert "unknown merge code #Fornavn#" in unknown.content.decode()

    response = client.post("/campaigns/new/", FORM)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    for who in ("kari1@example.com", "K2", "kari3@example.com"):
        client.post(f"/campaigns/{campaign.pk}/add/", {"who": who})
    assert sorted(campaign.recipients.values_list("customer__external_id", flat=True)) == [
        "K1",
        "K2",
    ]  # kari3 belongs to the other organisation
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "no address: 1" in page and "Distribute to 1 recipient" in page

    preview = client.get(f"/campaigns/{campaign.pk}/preview/?customer={people[0].pk}")
    assert "Dear Kari1, see" in preview.content.decode()
    assert "frame-ancestors 'self'" in preview["Content-Security-Policy"]
    assert (
        client.get(f"/campaigns/{campaign.pk}/preview/?customer={people[2].pk}").status_code == 404
    )

    client.post(f"/campaigns/{campaign.pk}/distribute/")
    delivery.deliver_all()
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Sent" in page and "Skipped" in page
    csv_text = client.get(f"/campaigns/{campaign.pk}/export/?format=csv").content.decode()
    assert csv_text.splitlines()[1:] == [
        "K1,Kari1,Nordmann,kari1@example.com,,sent,",
        "K2,Kari2,Nordmann,,,skipped,no address",
    ]
    assert client.get(f"/campaigns/{campaign.pk}/export/?format=pdf").status_code == 400

    outbox = client.get("/campaigns/outbox/").content.decode()
    assert "Autumn at the salon" in outbox and "kari1@example.com" in outbox
    assert "Autumn at the salon" not in login(bob).get("/campaigns/outbox/").content.decode()
    assert login(bob).get(f"/campaigns/{campaign.pk}/").status_code == 404


def test_viewer_reads_but_cannot_change(org, alice, victor, people):
    campaign = campaigns.create_campaign(
        organisation=org, description="X", dispatch="email", subject="X", body="<p>x</p>"
    )
    campaigns.add_recipient(campaign=campaign, customer=people[0])
    viewer = login(victor)
    assert viewer.get(f"/campaigns/{campaign.pk}/").status_code == 200
    assert viewer.post(f"/campaigns/{campaign.pk}/distribute/").status_code == 403
    assert Message.objects.count() == 0


def test_articles_and_templates(org, mia):
    client = login(mia)
    bad = client.post("/campaigns/articles/new/", {"title": "Hair", "body_html": "<div>x"})
    assert "HTML line 1: &lt;div&gt; is never closed" in bad.content.decode()
    client.post("/campaigns/articles/new/", {"title": "Hair care", "body_html": "<p>Tips</p>"})
    listing = client.get("/campaigns/articles/?q=hair").content.decode()
    assert "Hair care" in listing
    response = client.post(
        "/campaigns/templates/new/",
        {"name": "Event", "subject": "See you", "body_html": "<p>#CustomText# #CampaignLink#</p>"},
    )
    assert response.status_code == 302


def test_footer_text_is_edited_escaped_previewed_and_sent(
    org, other_org, mia, bob, victor, people, settings, tmp_path
):
    settings.OUTBOX_DIR = tmp_path
    settings.EMAIL_BACKEND = "regulars.messaging.backends.OutboxEmailBackend"
    client = login(mia)
    footer = "Open Mon-Fri 9-17 <b>late</b> & Sat\r\n  VAT no. 12 34 56 78  "
    response = client.post("/campaigns/layout/", {"footer": footer})
    assert response.status_code == 302 and response["Location"] == "/campaigns/layout/"
    org.refresh_from_db()
    assert org.email_footer == "Open Mon-Fri 9-17 <b>late</b> & Sat\n  VAT no. 12 34 56 78"
    escaped = (
        '<p style="margin:0 0 8px">Open Mon-Fri 9-17 &lt;b&gt;late&lt;/b&gt; &amp; Sat<br>'
        "VAT no. 12 34 56 78</p>"
    )
    assert escaped in client.get("/campaigns/layout/preview/").content.decode()
    too_long = client.post("/campaigns/layout/", {"footer": "x" * 1001}).content.decode()
    assert "Ensure this value has at most 1000 characters (it has 1001)." in too_long
    assert login(victor).post("/campaigns/layout/", {"footer": "hijacked"}).status_code == 403
    assert "VAT no." not in login(bob).get("/campaigns/layout/preview/").content.decode()

    campaign = campaigns.create_campaign(
        organisation=org, description="X", dispatch="email", subject="News", body="<p>Hi</p>"
    )
    campaigns.add_recipient(campaign=campaign, customer=people[0])
    preview = client.get(f"/campaigns/{campaign.pk}/preview/?customer={people[0].pk}")
    assert escaped in preview.content.decode()
    other = campaigns.create_campaign(
        organisation=other_org, description="Y", dispatch="email", subject="Y", body="<p>Y</p>"
    )
    campaigns.add_recipient(campaign=other, customer=people[2])
    campaigns.distribute(campaign=campaign)
    campaigns.distribute(campaign=other)
    assert delivery.deliver_all() == 2

    sent = email.message_from_bytes(
        next((tmp_path / "salon").glob("*.eml")).read_bytes(), policy=email.policy.default
    )
    assert escaped in sent.get_body(("html",)).get_content()
    text = sent.get_body(("plain",)).get_content()
    signature, unsubscribe = text.rsplit("Afmeld: ", 1)
    assert signature == (
        "Hi\n\n-- \nOpen Mon-Fri 9-17 <b>late</b> & Sat\nVAT no. 12 34 56 78\nSalon Saks & Sax\n"
    )
    assert unsubscribe.startswith(
        f"{settings.SITE_URL}/t/u/{Message.objects.get(customer=people[0]).pk}/"
    )
    received_by_other = next((tmp_path / "other").glob("*.eml")).read_text()
    assert "VAT no." not in received_by_other and "margin:0 0 8px" not in received_by_other
