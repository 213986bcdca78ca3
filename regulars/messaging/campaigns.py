"""Campaign actions (MSG-6, seed 004): save, generate recipients, add by hand, distribute,
resend to the failed, and the report mailed to the sender ("e-mail with report").

Every message goes through the ledger (`queue_messages`) under the key
`campaign:<id>:<distribution>:<customer>`, so distributing twice sends nothing twice.
"""

import functools

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from . import mergecodes, sql
from .actions import (
    ERASED,
    NO_ADDRESS,
    NO_CONSENT,
    SUPPRESSED,
    Draft,
    count_queued_messages,
)
from .compose import html_to_text
from .models import (
    Campaign,
    CampaignRecipient,
    Channel,
    Dispatch,
    Distribution,
    Message,
    Status,
    Suppression,
    campaign_message_key,
)
from .queries import unfinished_distributions
from .sms import validate_sms

EDITABLE = (
    "description",
    "kind",
    "dispatch",
    "direct_link",
    "direct_link_target",
    "requires_consent",
    "subject",
    "body",
    "article",
    "rules",
)


class CampaignError(ValueError):
    """A campaign action that cannot be done; the message says why."""


def validate_campaign(campaign: Campaign) -> None:
    """Refuse content that would send badly: codes in the subject, unknown codes, bad HTML,
    an SMS over 10 parts, a direct link without its target, an article of another org."""
    mergecodes.validate_subject(campaign.subject)
    article = campaign.article
    if article is not None and article.organisation_id != campaign.organisation_id:
        raise CampaignError(_("The article belongs to another organisation."))
    needs_target = campaign.direct_link not in ("", "customer_page", "front")
    if needs_target and not campaign.direct_link_target.strip():
        raise CampaignError(_("The direct link needs a target (item number, group or id)."))
    if needs_target and not mergecodes.check_link_target(
        campaign.organisation, campaign.direct_link, campaign.direct_link_target
    ):
        raise CampaignError(
            _("The direct link points at nothing: %(target)s")
            % {"target": campaign.direct_link_target}
        )
    body = content_of(campaign)
    mergecodes.validate_body(body, has_direct_link=bool(campaign.direct_link))
    for code, kind, target in mergecodes.link_targets(body):
        if not mergecodes.check_link_target(campaign.organisation, kind, target):
            raise CampaignError(_("%(code)s points at nothing") % {"code": code})
    if campaign.channel == Channel.SMS:
        validate_sms(body)
    if campaign.rules:
        from regulars.segments.engine import validate_rules

        validate_rules(campaign.organisation, campaign.rules)


def content_of(campaign: Campaign) -> str:
    """The body as written, or the picked article's (MSG-10)."""
    return campaign.article.body_html if campaign.article is not None else campaign.body


@transaction.atomic
def create_campaign(*, organisation: Organisation, created_by=None, **fields) -> Campaign:
    campaign = Campaign(organisation=organisation, created_by=created_by)
    return _save(campaign, fields)


@transaction.atomic
def update_campaign(*, campaign: Campaign, **fields) -> Campaign:
    return _save(campaign, fields)


def _save(campaign: Campaign, fields: dict) -> Campaign:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise CampaignError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(campaign, name, value)
    if campaign.dispatch not in Dispatch.values:
        raise CampaignError(f"unknown dispatch type {campaign.dispatch!r}")
    validate_campaign(campaign)
    campaign.save()
    return campaign


@transaction.atomic
def generate_recipients(*, campaign: Campaign, at=None) -> int:
    """Freeze the recipients the selection rules match now, keeping hand-added ones and
    anyone already sent to. Returns the number on the list."""
    if not campaign.rules:
        raise CampaignError(_("The campaign has no selection rules."))
    from regulars.segments.engine import compile_rules

    matching = compile_rules(campaign.organisation, campaign.rules, at=at)
    campaign.recipients.filter(added_by_hand=False, distribution=0).delete()
    ids_sql, params = matching.values("id").query.sql_with_params()
    sql.freeze_recipients(campaign.pk, ids_sql, params)
    refresh_skip_reasons(campaign=campaign)
    campaign.recipients_generated_at = timezone.now()
    campaign.save(update_fields=["recipients_generated_at"])
    return campaign.recipients.count()


def refresh_skip_reasons(*, campaign: Campaign) -> None:
    """Note on each not-yet-sent recipient why they will be left out (no consent, no address).

    Set-based: one UPDATE per reason, so freezing 100k recipients stays a few statements.
    """
    pending = campaign.recipients.filter(distribution=0)
    pending.exclude(skip_reason="").update(skip_reason="")
    channel = campaign.channel
    if channel is None:
        return
    address_field = {"email": "email", "sms": "mobile"}.get(str(channel))
    reasons = [(Q(customer__erased_at__isnull=False), ERASED)]
    if address_field:
        reasons.append((Q(**{f"customer__{address_field}": ""}), NO_ADDRESS))
    else:
        blank = Q()
        for field in ("first_name", "address", "postcode", "city"):
            blank |= Q(**{f"customer__{field}": ""})
        reasons.append((blank, NO_ADDRESS))
    if campaign.requires_consent and address_field:
        consent_field = "email_consent" if channel == Channel.EMAIL else "sms_consent"
        reasons.append((Q(**{f"customer__{consent_field}": False}), NO_CONSENT))
    if address_field:
        suppressed = Suppression.objects.filter(organisation=campaign.organisation).values(
            "address"
        )
        reasons.append((Q(**{f"customer__{address_field}__in": suppressed}), SUPPRESSED))
    # Later reasons must not overwrite earlier ones: only rows still without a reason.
    for condition, reason in reasons:
        pending.filter(condition, skip_reason="").update(skip_reason=reason)


@transaction.atomic
def add_recipient(*, campaign: Campaign, customer: Customer) -> CampaignRecipient:
    """Add a customer by hand (e.g. yourself, to see the campaign first)."""
    if customer.organisation_id != campaign.organisation_id:
        raise CampaignError(_("The customer belongs to another organisation."))
    recipient, _created = CampaignRecipient.objects.get_or_create(
        campaign=campaign, customer=customer, defaults={"added_by_hand": True}
    )
    refresh_skip_reasons(campaign=campaign)
    recipient.refresh_from_db()
    return recipient


def distribute(*, campaign: Campaign, started_by=None) -> Distribution:
    """Queue the campaign to every recipient not yet sent to, through the ledger.

    Committed chunk by chunk, so a running worker delivers the first messages while later
    ones are still rendered. The distribution counts as queued (`queued_at`, which the
    report waits for) only after its last chunk; distributing again while one is
    unfinished (still running, or its process died) resumes it instead of starting another.
    """
    distribution = _start_distribution(campaign, started_by)
    pending = distribution.campaign.recipients.filter(distribution=0)
    _queue_in_chunks(distribution, pending)
    return _mark_queued(distribution)


@transaction.atomic
def _start_distribution(campaign: Campaign, started_by) -> Distribution:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.channel is None:
        raise CampaignError(_("Choose a dispatch type (print, SMS or e-mail) first."))
    validate_campaign(campaign)
    unfinished = unfinished_distributions(campaign).first()
    if unfinished is not None:
        unfinished.campaign = campaign
        return unfinished
    if not campaign.recipients.filter(distribution=0).exists():
        raise CampaignError(_("There are no recipients left to send to."))
    return _new_distribution(campaign, started_by)


def _new_distribution(campaign: Campaign, started_by) -> Distribution:
    number = (campaign.distributions.aggregate(n=Max("number"))["n"] or 0) + 1
    return Distribution.objects.create(campaign=campaign, number=number, started_by=started_by)


CHUNK_SIZE = 2000


def _queue_in_chunks(distribution: Distribution, recipients) -> None:
    """Queue `recipients` for `distribution`, one transaction per chunk of ids (memory stays
    flat however long the list is). Rendering happens outside the transaction, so on SQLite
    the write lock is held only while the chunk is written."""
    last_id = 0
    while ids := list(
        recipients.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:CHUNK_SIZE]
    ):
        chunk = CampaignRecipient.objects.filter(id__in=ids).select_related("customer")
        drafts, skipped = _render_chunk(distribution.campaign, chunk, distribution.number)
        _commit_chunk(distribution, recipients.filter(id__in=ids), drafts, skipped)
        last_id = ids[-1]


def _render_chunk(campaign: Campaign, recipients, number: int):
    """Each recipient's Draft by recipient id, and why the others cannot be rendered."""
    drafts: dict[int, Draft] = {}
    skipped: dict[int, str] = {}
    for recipient in recipients:
        try:
            drafts[recipient.pk] = render_for(campaign, recipient.customer, number)
        except mergecodes.MissingValue as missing:
            skipped[recipient.pk] = str(missing)
    return drafts, skipped


@transaction.atomic
def _commit_chunk(
    distribution: Distribution, chunk, drafts: dict[int, Draft], skipped: dict[int, str]
) -> None:
    """Queue one rendered chunk under the campaign's row lock. Recipients another process
    queued meanwhile (resuming the same distribution) are left out: each is counted once."""
    campaign = Campaign.objects.select_for_update().get(pk=distribution.campaign_id)
    pending = set(chunk.values_list("id", flat=True))
    queued = count_queued_messages(
        organisation=distribution.campaign.organisation,
        channel=campaign.channel or "",
        source=f"campaign:{campaign.pk}",
        requires_consent=campaign.requires_consent,
        drafts=[draft for recipient_id, draft in drafts.items() if recipient_id in pending],
    )
    for recipient_id, reason in skipped.items():
        if recipient_id in pending:
            CampaignRecipient.objects.filter(pk=recipient_id).update(skip_reason=reason)
    CampaignRecipient.objects.filter(id__in=pending).update(distribution=distribution.number)
    Distribution.objects.filter(pk=distribution.pk).update(queued=F("queued") + queued)


def _mark_queued(distribution: Distribution) -> Distribution:
    Distribution.objects.filter(pk=distribution.pk, queued_at__isnull=True).update(
        queued_at=timezone.now()
    )
    distribution.refresh_from_db()
    return distribution


def render_for(campaign: Campaign, customer: Customer, distribution: int) -> Draft:
    """The campaign's message for one customer (MissingValue when a code has no value)."""
    ctx = mergecodes.MergeContext(
        organisation=campaign.organisation,
        customer=customer,
        direct_link=campaign.direct_link,
        direct_link_target=campaign.direct_link_target,
    )
    body = content_of(campaign)
    key = campaign_message_key(campaign.pk, distribution, customer.pk)
    if campaign.channel == Channel.SMS:
        return Draft(customer, key, "", None, mergecodes.render(body, ctx, as_html=False))
    body_html = mergecodes.render(body, ctx, as_html=True)
    # The text part from the template once per campaign, not from each rendered message.
    body_text = mergecodes.render(_text_template(body), ctx, as_html=False)
    return Draft(customer, key, campaign.subject, body_html, body_text)


@functools.lru_cache(maxsize=32)
def _text_template(body_html: str) -> str:
    return html_to_text(body_html)


FAILED_STATUSES = (Status.FAILED, Status.BOUNCED)


def failed_recipients(campaign: Campaign):
    """Recipients whose message in the last distribution failed or bounced."""
    last = campaign.distributions.aggregate(n=Max("number"))["n"]
    if last is None:
        return campaign.recipients.none()
    failed_keys = Message.objects.filter(
        organisation=campaign.organisation,
        source=f"campaign:{campaign.pk}",
        key__startswith=f"campaign:{campaign.pk}:{last}:",
        status__in=FAILED_STATUSES,
    ).values_list("customer_id", flat=True)
    return campaign.recipients.filter(distribution=last, customer_id__in=failed_keys)


@transaction.atomic
def resend_failed(*, campaign: Campaign, started_by=None) -> Distribution:
    """Send again, as a new distribution, to the failed recipients of the last one."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if unfinished_distributions(campaign).exists():
        raise CampaignError(_("The last distribution is not fully queued yet: distribute first."))
    failed = failed_recipients(campaign)
    if not failed.exists():
        raise CampaignError(_("No recipient of the last distribution failed."))
    validate_campaign(campaign)
    distribution = _new_distribution(campaign, started_by)
    _queue_in_chunks(distribution, failed)
    return _mark_queued(distribution)


def wants_report(campaign: Campaign) -> bool:
    return campaign.dispatch == Dispatch.EMAIL_REPORT
