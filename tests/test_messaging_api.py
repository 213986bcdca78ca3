"""Messaging API and the campaign link e-mail (MSG-9)."""

import datetime

import pytest
from django.utils import timezone

from regulars.commerce.models import Event, Production, Ticket, TicketOrder, Venue
from regulars.customers.models import Customer
from regulars.messaging import campaigns, content
from regulars.messaging.models import Campaign, Message


@pytest.fixture
def campaign(org, other_org):
    person = Customer.objects.create(
        organisation=org,
        external_id="A1",
        email="a@example.com",
        email_consent=True,
        created_at=timezone.now(),
    )
    campaign = campaigns.create_campaign(
        organisation=org, description="API", dispatch="email", subject="Hi", body="<p>Hi</p>"
    )
    campaigns.add_recipient(campaign=campaign, customer=person)
    campaigns.create_campaign(
        organisation=other_org,
        description="Theirs",
        dispatch="email",
        subject="Hi",
        body="<p>Hi</p>",
    )
    return campaign


def test_list_log_and_distribute(api, other_api, campaign):
    listing = api.get("/api/messaging/campaigns").json()
    assert [(c["description"], c["recipients"]) for c in listing] == [("API", 1)]
    assert api.get(f"/api/messaging/campaigns/{campaign.pk}/recipients").json() == [
        {
            "customer_id": campaign.recipients.get().customer_id,
            "external_id": "A1",
            "status": "pending",
            "reason": "",
            "sent_at": None,
        }
    ]
    assert other_api.post(f"/api/messaging/campaigns/{campaign.pk}/distribute").status_code == 404
    assert api.post(f"/api/messaging/campaigns/{campaign.pk}/distribute").json() == {
        "number": 1,
        "queued": 1,
    }
    again = api.post(f"/api/messaging/campaigns/{campaign.pk}/distribute")
    assert again.status_code == 409
    assert again.json() == {"detail": "There are no recipients left to send to."}


def test_campaign_link_email_to_ticket_holders(org, other_org, alice):
    venue = Venue.objects.create(organisation=org, name="Scenen")
    production = Production.objects.create(organisation=org, name="Hamlet")
    start = timezone.now() + datetime.timedelta(days=7)
    event = Event.objects.create(
        organisation=org, external_id="E1", production=production, venue=venue, start=start
    )
    holder = Customer.objects.create(
        organisation=org,
        first_name="Ida",
        email="ida@example.com",
        email_consent=True,
        created_at=timezone.now(),
    )
    Customer.objects.create(
        organisation=org,
        first_name="Not",
        email="not@example.com",
        email_consent=True,
        created_at=timezone.now(),
    )
    order = TicketOrder.objects.create(
        organisation=org,
        order_id="O1",
        customer=holder,
        ordered_at=timezone.now(),
        channel="online",
    )
    Ticket.objects.create(
        organisation=org,
        order=order,
        event=event,
        customer=holder,
        ordered_at=order.ordered_at,
        channel="online",
        event_start=start,
        production=production,
        quantity=2,
        amount_cents=20000,
    )
    template = content.save_email_template(
        organisation=org,
        name="Event",
        subject="x",
        body_html="<p>Hi #FirstName#</p><p>#CustomText#</p><p>#CampaignLink#</p>",
    )
    campaign = content.send_campaign_link_email(
        organisation=org,
        rules={
            "match": "all",
            "criteria": [{"type": "event", "productions": ["Hamlet"], "days_back": 3650}],
        },
        template=template,
        subject="Hamlet: the programme",
        custom_text="Doors <open> at 19",
        link="https://salon.example/hamlet?a=1&b=2",
        started_by=alice,
    )
    message = Message.objects.get()
    assert message.customer_id == holder.pk and message.subject == "Hamlet: the programme"
    assert message.body_html == (
        '<p>Hi Ida</p><p>Doors &lt;open&gt; at 19</p><p><a href="https://salon.example/'
        'hamlet?a=1&amp;b=2">https://salon.example/hamlet?a=1&amp;b=2</a></p>'
    )
    assert Campaign.objects.filter(organisation=other_org).count() == 0
    assert campaign.distributions.get().queued == 1
