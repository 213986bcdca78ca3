"""A campaign in a real browser: footer, create, edit, send to yourself, generate (who is
left out and why), distribute, the per-recipient log; the received e-mail rendered too.

Mail goes to an SMTP server on loopback; the test thread runs the delivery worker's
function between clicks, as `regulars worker` would in the background.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from regulars.customers.models import Customer
from regulars.messaging import delivery
from regulars.messaging.models import Campaign, Message
from regulars.tracking.models import TrackingEvent
from tests.browser.conftest import log_in, screenshot
from tests.messaging_support import FaultySink, start_sink, use_sink

pytestmark = pytest.mark.browser


def screenshot_with_preview(page, name: str, text: str) -> None:
    """Screenshot once the mail preview frame shows `text` and has been painted.

    The sandboxed frame paints in its own process: a full-page capture that stretches the
    page beyond the window catches it mid-layout, so the window is made as tall as the
    page first, and the frame given a moment to paint after its text is there.
    """
    viewport = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": height})
    expect(page.frame_locator("iframe.mail-preview").get_by_text(text)).to_be_visible()
    page.wait_for_timeout(500)
    screenshot(page, name)
    page.set_viewport_size(viewport)


@pytest.fixture
def sink(settings, live_server):
    handler = FaultySink()
    controller = start_sink(handler)
    use_sink(settings, controller)
    # Links and the open pixel in the mail point at the running back office.
    settings.SITE_URL = live_server.url
    yield handler
    controller.stop()


@pytest.fixture
def customers(org, other_org):
    rows = [
        ("Anna", "Jensen", "anna@example.com", True, True),
        ("Bo", "Hansen", "bo@example.dk", False, True),  # member without consent
        ("Carl", "Andersen", "carl@example.com", True, True),
        ("Dorte", "Nielsen", "", True, True),  # member without an e-mail address
        ("Erik", "Berg", "erik@example.com", True, False),  # not a member
        ("Mia", "Marketer", "mia@example.com", True, False),  # the marketer herself
    ]
    for number, (first, last, email, consent, member) in enumerate(rows, start=1):
        Customer.objects.create(
            organisation=org,
            external_id=f"K-{number}",
            first_name=first,
            last_name=last,
            email=email,
            email_consent=consent,
            member=member,
            created_at=timezone.now(),
        )
    Customer.objects.create(
        organisation=other_org,
        first_name="Olga",
        last_name="Other",
        email="olga@example.com",
        email_consent=True,
        member=True,
        created_at=timezone.now(),
    )


def test_campaign_from_footer_to_the_recipient_log(page, org, mia, customers, sink):
    log_in(page, "mia")
    page.goto("/campaigns/layout/")
    page.get_by_label("Footer text").fill("Open Mon-Fri 9-17, Sat 10-14\nVAT no. DK 12 34 56 78")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The footer is saved.")).to_be_visible()
    screenshot_with_preview(page, "campaign-01-layout-footer", "VAT no. DK 12 34 56 78")

    page.goto("/campaigns/")
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Description").fill("Spring newsletter")
    page.get_by_label("Campaign type").select_option("newsletter")
    page.get_by_label("Dispatch type").select_option("email")
    page.get_by_label("Direct link", exact=True).select_option("front")
    page.get_by_label("Subject").fill("Spring at the salon")
    page.get_by_label("Content").fill("<p>Dear #FirstName#, spring is here.</p>")
    page.get_by_label("Selection rules").fill('{"match": "all", "criteria": [{"type": "member"}]}')
    screenshot(page, "campaign-02-new")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The campaign is saved.")).to_be_visible()
    campaign = Campaign.objects.get()
    assert page.url.endswith(f"/campaigns/{campaign.pk}/")
    assert (campaign.kind, campaign.dispatch, campaign.rules) == (
        "newsletter",
        "email",
        {"match": "all", "criteria": [{"type": "member"}]},
    )

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Content").fill(
        "<h2>Spring offers</h2><p>Dear #FirstName#, 20% off hair care until May.</p>"
        "<p>#DirectLink#</p>"
    )
    page.get_by_label("Subject").fill("Spring offers at the salon")
    screenshot(page, "campaign-03-edit")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The campaign is saved.")).to_be_visible()

    # Send to yourself first: the marketer is added by hand and gets the only message.
    page.get_by_label("Add a recipient by hand").fill("mia@example.com")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Mia Marketer is added.")).to_be_visible()
    page.get_by_role("button", name="Distribute to 1 recipient").click()
    expect(page.get_by_text("The campaign is being distributed.")).to_be_visible()
    assert delivery.deliver_all() == 1
    assert [m["To"] for m in sink.messages] == ["mia@example.com"]
    received = sink.messages[0]
    assert received["Subject"] == "Spring offers at the salon"
    mail_html = received.get_body(("html",)).get_content()
    assert "Dear Mia, 20% off hair care until May." in mail_html

    mail = page.context.new_page()
    mail.set_content(mail_html)
    expect(mail.get_by_role("heading", name="Spring offers")).to_be_visible()
    expect(mail.get_by_text("VAT no. DK 12 34 56 78")).to_be_visible()
    expect(mail.get_by_role("link", name="Afmeld")).to_be_visible()  # the salon writes Danish
    screenshot(mail, "campaign-04-received-email")
    mail.close()
    # The pixel was fetched, but by headless Chromium: a scanner's open, kept out of the log.
    opens = TrackingEvent.objects.filter(message__customer__email="mia@example.com")
    assert list(opens.values_list("kind", "is_scanner")) == [("open", True)]

    page.reload()
    page.get_by_role("button", name="Generate recipients").click()
    expect(page.get_by_text("The recipients are generated.")).to_be_visible()
    left_out = page.get_by_role("heading", name="Left out").locator("+ ul")
    expect(left_out.locator("li")).to_have_text(["no address: 1", "no consent: 1"])
    expect(page.get_by_text("5 recipients on the list")).to_be_visible()
    expect(page.get_by_text("Olga Other")).to_have_count(0)
    screenshot_with_preview(page, "campaign-05-generated", "Dear Mia, 20% off hair care")

    page.get_by_role("button", name="Distribute to 2 recipients").click()
    expect(page.get_by_text("The campaign is being distributed.")).to_be_visible()
    assert delivery.deliver_all() == 2
    page.reload()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(5)
    statuses = {
        row.locator("td").nth(0).inner_text(): row.locator("td").nth(2).inner_text()
        for row in rows.all()
    }
    assert statuses == {
        "Anna Jensen": "Sent",
        "Bo Hansen": "Skipped",
        "Carl Andersen": "Sent",
        "Dorte Nielsen": "Skipped",
        "Mia Marketer by hand": "Sent",
    }
    screenshot_with_preview(page, "campaign-06-log", "Dear Mia, 20% off hair care")
    assert sorted(m["To"] for m in sink.messages) == [
        "anna@example.com",
        "carl@example.com",
        "mia@example.com",
    ]
    assert sorted(sink.message_ids().values()) == [1, 1, 1]
    skipped = Message.objects.filter(organisation=org, status="skipped").order_by("customer")
    assert list(skipped.values_list("customer__first_name", "skip_reason")) == [
        ("Bo", "no consent"),
        ("Dorte", "no address"),
    ]
