"""Reads for campaigns and the ledger: per-recipient log, distribution summaries."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Campaign, CampaignRecipient, Distribution, Message, Status


@dataclass
class LogRow:
    recipient: CampaignRecipient
    status: str  # a ledger Status value, "pending", or "skipped"
    reason: str
    message: Message | None

    @property
    def status_label(self) -> str:
        return str(_("Pending")) if self.status == "pending" else str(Status(self.status).label)


def recipient_log(campaign: Campaign, recipients=None) -> list[LogRow]:
    """Each recipient with the status of their message (queued … clicked, failed, skipped)."""
    recipients = list(
        (recipients if recipients is not None else campaign.recipients.all()).select_related(
            "customer"
        )
    )
    keys = [r.message_key for r in recipients if r.distribution]
    messages = {
        m.key: m for m in Message.objects.filter(organisation=campaign.organisation, key__in=keys)
    }
    rows = []
    for recipient in recipients:
        message = messages.get(recipient.message_key) if recipient.distribution else None
        if message is not None:
            reason = message.skip_reason or message.last_error
            rows.append(LogRow(recipient, message.status, reason, message))
        elif recipient.skip_reason:
            rows.append(LogRow(recipient, Status.SKIPPED, recipient.skip_reason, None))
        else:
            rows.append(LogRow(recipient, "pending", "", None))
    return rows


def distribution_counts(distribution: Distribution) -> Counter:
    """How many messages of one distribution are in each status."""
    campaign = distribution.campaign
    rows = (
        Message.objects.filter(
            organisation=campaign.organisation,
            source=f"campaign:{campaign.pk}",
            key__startswith=f"campaign:{campaign.pk}:{distribution.number}:",
        )
        .values("status")
        .annotate(n=Count("id"))
    )
    return Counter({row["status"]: row["n"] for row in rows})


def unfinished_distributions(campaign: Campaign):
    """Distributions still being queued (or whose queueing process died: distributing
    again resumes them)."""
    return campaign.distributions.filter(queued_at__isnull=True)


def distribution_finished(distribution: Distribution) -> bool:
    """Every message queued (the last chunk committed) and none waiting to be sent."""
    if distribution.queued_at is None:
        return False
    counts = distribution_counts(distribution)
    return not (counts[Status.QUEUED] or counts[Status.SENDING])


def campaigns_for(organisation):
    return Campaign.objects.filter(organisation=organisation).annotate(
        recipient_count=Count("recipients")
    )


MESSAGE_EXPORT_FIELDS = (
    "key",
    "channel",
    "to_address",
    "subject",
    "body_text",
    "status",
    "skip_reason",
    "created_at",
    "sent_at",
    "delivered_at",
    "opened_at",
    "clicked_at",
    "bounced_at",
)


def messages_for_customer(customer) -> list[dict]:
    """Everything the ledger holds about one customer, for a GDPR export (DATA-7)."""
    rows = Message.objects.filter(customer=customer).order_by("created_at", "id")
    return [dict(row) for row in rows.values(*MESSAGE_EXPORT_FIELDS)]
