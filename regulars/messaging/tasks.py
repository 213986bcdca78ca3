"""Celery tasks: thin, take ids, call the same functions as `regulars worker`.

Beat (settings CELERY_BEAT_SCHEDULE) runs `deliver_due` every few seconds and
`run_due_periodic` for the tasks registered with `register_periodic`; each registered
task still runs once per interval across all machines (see `worker.claim_periodic`).
"""

from celery import shared_task
from django.contrib.auth import get_user_model

from . import campaigns, delivery, worker
from .models import Campaign
from .queries import unfinished_distributions


@shared_task(name="regulars.messaging.deliver_due")
def deliver_due() -> int:
    """Release dead workers' claims, then deliver everything due."""
    delivery.release_stale_claims()
    return delivery.deliver_all(limit=100)


@shared_task(name="regulars.messaging.run_due_periodic")
def run_due_periodic() -> list[str]:
    return worker.run_due_periodic()


@shared_task(name="regulars.messaging.distribute_campaign")
def distribute_campaign(campaign_id: int, user_id: int | None = None) -> int:
    """Distribute a campaign, then deliver; running it twice sends nothing twice."""
    campaign = Campaign.objects.get(pk=campaign_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    unfinished = unfinished_distributions(campaign).exists()
    if unfinished or campaign.recipients.filter(distribution=0).exists():
        campaigns.distribute(campaign=campaign, started_by=user)
    return deliver_due()
