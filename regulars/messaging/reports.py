"""'E-mail with report' (MSG-1): when a distribution has been delivered, mail its summary
to the staff member who started it. Runs as a periodic task; idempotent by ledger key."""

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .actions import queue_staff_email
from .models import Dispatch, Distribution, Status
from .queries import distribution_counts, distribution_finished

REPORTED_STATUSES = (
    Status.SENT,
    Status.DELIVERED,
    Status.OPENED,
    Status.CLICKED,
    Status.BOUNCED,
    Status.FAILED,
    Status.SKIPPED,
)


def send_distribution_reports() -> int:
    """Queue the report of every finished, not yet reported distribution; returns how many."""
    waiting = Distribution.objects.filter(
        report_sent_at__isnull=True,
        queued_at__isnull=False,
        campaign__dispatch=Dispatch.EMAIL_REPORT,
    ).select_related("campaign__organisation", "started_by")
    sent = 0
    for distribution in waiting:
        if distribution_finished(distribution):
            sent += _report(distribution)
    return sent


@transaction.atomic
def _report(distribution: Distribution) -> int:
    campaign = distribution.campaign
    address = distribution.started_by.email if distribution.started_by else ""
    if address:
        with translation.override(campaign.organisation.language):
            subject, body = _summary(distribution)
        queue_staff_email(
            organisation=campaign.organisation,
            to_address=address,
            key=f"campaign-report:{campaign.pk}:{distribution.number}",
            subject=subject,
            body_text=body,
        )
    Distribution.objects.filter(pk=distribution.pk).update(report_sent_at=timezone.now())
    return 1 if address else 0


def _summary(distribution: Distribution) -> tuple[str, str]:
    counts = distribution_counts(distribution)
    campaign = distribution.campaign
    subject = _("Report: %(campaign)s, distribution %(number)s") % {
        "campaign": campaign.description,
        "number": distribution.number,
    }
    lines = [subject, ""]
    lines += [f"{Status(s).label}: {counts[s]}" for s in REPORTED_STATUSES]
    lines += ["", _("Total: %(total)s") % {"total": sum(counts.values())}]
    return subject, "\n".join(str(line) for line in lines)
