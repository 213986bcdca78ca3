"""Messaging API: campaigns, their recipient log, and distributing (MSG-6)."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from regulars.messaging import campaigns
from regulars.messaging.campaigns import CampaignError
from regulars.messaging.models import Campaign
from regulars.messaging.queries import campaigns_for, recipient_log

router = Router(tags=["messaging"])


class CampaignOut(Schema):
    id: int
    description: str
    kind: str
    dispatch: str
    requires_consent: bool
    recipients: int
    created_at: datetime


class RecipientOut(Schema):
    customer_id: int
    external_id: str | None
    status: str
    reason: str
    sent_at: datetime | None


class DistributionOut(Schema):
    number: int
    queued: int


class MessagingError(Schema):
    detail: str


@router.get("/campaigns", response=list[CampaignOut])
def list_campaigns(request):
    return [
        CampaignOut(
            id=c.pk,
            description=c.description,
            kind=c.kind,
            dispatch=c.dispatch,
            requires_consent=c.requires_consent,
            recipients=c.recipient_count,
            created_at=c.created_at,
        )
        for c in campaigns_for(request.organisation)
    ]


def _campaign(request, campaign_id: int) -> Campaign:
    return get_object_or_404(Campaign, pk=campaign_id, organisation=request.organisation)


@router.get(
    "/campaigns/{campaign_id}/recipients",
    response={200: list[RecipientOut], 404: MessagingError},
)
def campaign_recipients(request, campaign_id: int):
    """Each recipient's status: pending, skipped (with reason), queued, sent … bounced."""
    return [
        RecipientOut(
            customer_id=row.recipient.customer_id,
            external_id=row.recipient.customer.external_id,
            status=row.status,
            reason=row.reason,
            sent_at=row.message.sent_at if row.message else None,
        )
        for row in recipient_log(_campaign(request, campaign_id))
    ]


@router.post(
    "/campaigns/{campaign_id}/distribute",
    response={200: DistributionOut, 404: MessagingError, 409: MessagingError},
)
def distribute_campaign(request, campaign_id: int):
    """Queue the campaign to every recipient not yet sent to (409 when there is none)."""
    try:
        distribution = campaigns.distribute(campaign=_campaign(request, campaign_id))
    except (CampaignError, ValueError) as error:
        return Status(409, MessagingError(detail=str(error)))
    return Status(200, DistributionOut(number=distribution.number, queued=distribution.queued))
