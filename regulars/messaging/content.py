"""Articles (MSG-10), saved e-mail templates, the layout's footer text (MSG-2), and the
campaign link e-mail (MSG-9)."""

import html

from django.db import transaction
from django.utils.translation import gettext as _

from regulars.orgs.models import Organisation

from . import campaigns, mergecodes
from .models import Article, Campaign, EmailTemplate


@transaction.atomic
def save_article(
    *, organisation: Organisation, title: str, body_html: str, article: Article | None = None
) -> Article:
    """Create or change an article; its HTML is checked like any message body."""
    mergecodes.validate_body(body_html)
    article = article or Article(organisation=organisation)
    if article.organisation_id != organisation.pk:
        raise ValueError("article of another organisation")
    article.title, article.body_html = title, body_html
    article.save()
    return article


@transaction.atomic
def save_email_template(
    *,
    organisation: Organisation,
    name: str,
    subject: str,
    body_html: str,
    template: EmailTemplate | None = None,
) -> EmailTemplate:
    """A template for campaign link e-mails: may use #CampaignLink# and #CustomText#."""
    mergecodes.validate_subject(subject)
    mergecodes.validate_body(body_html, campaign_link=True, has_direct_link=False)
    template = template or EmailTemplate(organisation=organisation)
    if template.organisation_id != organisation.pk:
        raise ValueError("template of another organisation")
    template.name, template.subject, template.body_html = name, subject, body_html
    template.save()
    return template


FOOTER_MAX_LENGTH = 1000


@transaction.atomic
def save_email_footer(*, organisation: Organisation, footer: str) -> Organisation:
    """The organisation's own lines in every e-mail's footer (opening hours, legal text).

    Plain text: shown escaped, line breaks kept; merge codes are not filled in there.
    """
    footer = footer.strip().replace("\r\n", "\n")
    if len(footer) > FOOTER_MAX_LENGTH:
        raise ValueError(
            _("The footer is %(length)d characters; at most %(max)d are allowed.")
            % {"length": len(footer), "max": FOOTER_MAX_LENGTH}
        )
    organisation.email_footer = footer
    organisation.save(update_fields=["email_footer"])
    return organisation


@transaction.atomic
def send_campaign_link_email(
    *,
    organisation: Organisation,
    rules: dict,
    template: EmailTemplate,
    subject: str,
    custom_text: str,
    link: str,
    started_by=None,
) -> Campaign:
    """MSG-9: mail a campaign link to a segment (e.g. the ticket holders of an event).

    Made as an ordinary e-mail campaign — frozen recipients, ledger, log, resend — whose
    body is the template with #CampaignLink# and #CustomText# filled in. Queued at once;
    the worker delivers within its poll interval.
    """
    if template.organisation_id != organisation.pk:
        raise ValueError("template of another organisation")
    if not link.startswith(("https://", "http://")):
        raise campaigns.CampaignError(_("The campaign link must start with https://"))
    safe_link = html.escape(link)
    text_html = html.escape(custom_text).replace("\n", "<br>")
    body = template.body_html.replace(
        "#CampaignLink#", f'<a href="{safe_link}">{safe_link}</a>'
    ).replace("#CustomText#", text_html)
    campaign = campaigns.create_campaign(
        organisation=organisation,
        created_by=started_by,
        description=_("Campaign link: %(subject)s") % {"subject": subject},
        dispatch="email",
        subject=subject,
        body=body,
        rules=rules,
        requires_consent=True,
    )
    campaigns.generate_recipients(campaign=campaign)
    if campaign.recipients.filter(skip_reason="").exists():
        campaigns.distribute(campaign=campaign, started_by=started_by)
    return campaign
