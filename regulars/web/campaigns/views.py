"""Campaign pages (MSG-6): list, edit, recipients, distribute, log, resend, export, preview;
articles, e-mail templates, the campaign link e-mail (MSG-9) and the demo outbox."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from regulars.customers.models import Customer
from regulars.messaging import campaigns, content, mergecodes, outbox
from regulars.messaging.campaigns import CampaignError
from regulars.messaging.exports import export_recipients
from regulars.messaging.letters import render_letters
from regulars.messaging.mergecodes import MissingValue, TemplateError
from regulars.messaging.models import Article, Campaign, Channel, EmailTemplate, Message
from regulars.messaging.queries import campaigns_for, recipient_log
from regulars.web.access import get_object_for_org, staff_view

from .forms import (
    AddRecipientForm,
    ArticleForm,
    CampaignForm,
    EmailFooterForm,
    EmailTemplateForm,
    LinkMailForm,
)

# Errors from the domain that a user can act on, shown beside the form.
USER_ERRORS = (CampaignError, TemplateError, ValueError)


@staff_view(permission="market")
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/campaigns/list.html",
        {"campaigns": campaigns_for(request.organisation)},
    )


@staff_view(permission="market")
def campaign_edit(request: HttpRequest, campaign_id: int | None = None) -> HttpResponse:
    campaign = get_object_for_org(request, Campaign, pk=campaign_id) if campaign_id else None
    form = CampaignForm(request.POST or None, instance=campaign, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            if campaign is None:
                campaign = campaigns.create_campaign(
                    organisation=request.organisation, created_by=request.user, **form.changes()
                )
            else:
                campaigns.update_campaign(campaign=campaign, **form.changes())
        except USER_ERRORS as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The campaign is saved."))
            return redirect("web:campaign", campaign_id=campaign.pk)
    return render(
        request,
        "web/campaigns/edit.html",
        {"form": form, "campaign": campaign, "codes": mergecodes.CODE_HELP},
    )


@staff_view(permission="market")
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_for_org(request, Campaign, pk=campaign_id)
    page = Paginator(campaign.recipients.all(), 100).get_page(request.GET.get("page"))
    left_out = (
        campaign.recipients.exclude(skip_reason="")
        .values("skip_reason")
        .annotate(n=Count("id"))
        .order_by("skip_reason")
    )
    return render(
        request,
        "web/campaigns/detail.html",
        {
            "campaign": campaign,
            "page": page,
            "log": recipient_log(campaign, campaign.recipients.filter(pk__in=[r.pk for r in page])),
            "left_out": left_out,
            "total": campaign.recipients.count(),
            "pending": campaign.recipients.filter(distribution=0, skip_reason="").count(),
            "failed": list(campaigns.failed_recipients(campaign).select_related("customer")),
            "distributions": campaign.distributions.all(),
            "add_form": AddRecipientForm(),
            "preview_customers": campaign.recipients.select_related("customer")[:20],
        },
    )


def _act(request: HttpRequest, campaign: Campaign, action, success: str) -> HttpResponse:
    try:
        action()
    except USER_ERRORS as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("web:campaign", campaign_id=campaign.pk)


@require_POST
@staff_view(permission="market")
def campaign_generate(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_for_org(request, Campaign, pk=campaign_id)
    return _act(
        request,
        campaign,
        lambda: campaigns.generate_recipients(campaign=campaign),
        _("The recipients are generated."),
    )


@require_POST
@staff_view(permission="market")
def campaign_add_recipient(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_for_org(request, Campaign, pk=campaign_id)
    form = AddRecipientForm(request.POST)
    who = form.data.get("who", "").strip()
    found = Customer.objects.filter(
        Q(email__iexact=who) | Q(mobile=who) | Q(external_id=who),
        organisation=request.organisation,
        erased_at__isnull=True,
    ).first()
    if not who or found is None:
        messages.error(request, _("No customer has that e-mail, mobile or external id."))
        return redirect("web:campaign", campaign_id=campaign.pk)
    return _act(
        request,
        campaign,
        lambda: campaigns.add_recipient(campaign=campaign, customer=found),
        _("%(name)s is added.") % {"name": found},
    )


@require_POST
@staff_view(permission="market")
def campaign_distribute(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_for_org(request, Campaign, pk=campaign_id)
    return _act(
        request,
        campaign,
        lambda: campaigns.distribute(campaign=campaign, started_by=request.user),
        _("The campaign is being distributed."),
    )


@require_POST
@staff_view(permission="market")
def campaign_resend(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_for_org(request, Campaign, pk=campaign_id)
    return _act(
        request,
        campaign,
        lambda: campaigns.resend_failed(campaign=campaign, started_by=request.user),
        _("The failed recipients are sent to again."),
    )


@staff_view(permission="market")
def campaign_export(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_for_org(request, Campaign, pk=campaign_id)
    file_format = request.GET.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        return HttpResponse(_("Unknown format; use csv or xlsx."), status=400)
    content_type = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[file_format]
    response = HttpResponse(export_recipients(campaign, file_format), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}.{file_format}"'
    return response


@staff_view(permission="market")
def campaign_letters(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The print file of the last distribution: one letter per recipient."""
    campaign = get_object_for_org(request, Campaign, pk=campaign_id)
    last = campaign.distributions.last()
    letters = Message.objects.filter(
        organisation=request.organisation,
        channel=Channel.LETTER,
        key__startswith=f"campaign:{campaign.pk}:{last.number if last else 0}:",
    ).exclude(status="skipped")
    if not letters.exists():
        messages.error(request, _("There are no letters in the last distribution."))
        return redirect("web:campaign", campaign_id=campaign.pk)
    response = HttpResponse(render_letters(request.organisation, letters), "application/pdf")
    response["Content-Disposition"] = f'inline; filename="letters-{campaign.pk}.pdf"'
    return response


def _mail_view(html: str) -> HttpResponse:
    """A message's HTML, framed by our own pages only, with no scripts at all."""
    response = HttpResponse(html)
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; "
        "frame-ancestors 'self'; sandbox"
    )
    return response


@xframe_options_sameorigin
@staff_view(permission="market")
def campaign_preview(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The e-mail as the chosen customer will get it (links shown untracked)."""
    campaign = get_object_for_org(request, Campaign, pk=campaign_id)
    customer = get_object_for_org(request, Customer, pk=request.GET.get("customer"))
    try:
        draft = campaigns.render_for(campaign, customer, distribution=0)
    except MissingValue as missing:
        return HttpResponse(str(missing), status=422)
    if campaign.channel == Channel.SMS:
        return _mail_view(f"<pre>{draft.body_text}</pre>")
    return _mail_view(outbox.preview_html(campaign.organisation, draft.body_html or ""))


@staff_view(permission="market")
def article_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    articles = Article.objects.filter(organisation=request.organisation)
    if query:
        articles = articles.filter(title__icontains=query)
    return render(request, "web/campaigns/articles.html", {"articles": articles, "q": query})


@staff_view(permission="market")
def article_edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    article = get_object_for_org(request, Article, pk=article_id) if article_id else None
    form = ArticleForm(request.POST or None, instance=article)
    if request.method == "POST" and form.is_valid():
        try:
            content.save_article(
                organisation=request.organisation, article=article, **form.cleaned_data
            )
        except USER_ERRORS as error:
            form.add_error("body_html", str(error))
        else:
            messages.success(request, _("The article is saved."))
            return redirect("web:campaign_articles")
    return render(request, "web/campaigns/edit_simple.html", {"form": form, "kind": "article"})


@staff_view(permission="market")
def template_list(request: HttpRequest) -> HttpResponse:
    templates = EmailTemplate.objects.filter(organisation=request.organisation)
    return render(request, "web/campaigns/templates.html", {"templates": templates})


@staff_view(permission="market")
def template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    template = get_object_for_org(request, EmailTemplate, pk=template_id) if template_id else None
    form = EmailTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            content.save_email_template(
                organisation=request.organisation, template=template, **form.cleaned_data
            )
        except USER_ERRORS as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The template is saved."))
            return redirect("web:campaign_templates")
    return render(request, "web/campaigns/edit_simple.html", {"form": form, "kind": "template"})


@staff_view(permission="market")
def layout_edit(request: HttpRequest) -> HttpResponse:
    """The organisation's e-mail layout (MSG-2): its own footer text, with a preview."""
    organisation = request.organisation
    form = EmailFooterForm(request.POST or None, initial={"footer": organisation.email_footer})
    if request.method == "POST" and form.is_valid():
        try:
            content.save_email_footer(organisation=organisation, footer=form.cleaned_data["footer"])
        except USER_ERRORS as error:
            form.add_error("footer", str(error))
        else:
            messages.success(request, _("The footer is saved."))
            return redirect("web:campaign_layout")
    return render(request, "web/campaigns/layout.html", {"form": form})


@xframe_options_sameorigin
@staff_view(permission="market")
def layout_preview(request: HttpRequest) -> HttpResponse:
    sample = format_html("<p>{}</p>", _("The text of a campaign goes here."))
    return _mail_view(outbox.preview_html(request.organisation, sample))


@staff_view(permission="market")
def link_mail(request: HttpRequest) -> HttpResponse:
    """MSG-9: mail a campaign link to the ticket holders of an event or production."""
    form = LinkMailForm(
        request.POST or None, initial=request.GET.dict(), organisation=request.organisation
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign = content.send_campaign_link_email(
                organisation=request.organisation,
                rules=form.rules(),
                template=form.cleaned_data["template"],
                subject=form.cleaned_data["subject"],
                custom_text=form.cleaned_data["custom_text"],
                link=form.cleaned_data["link"],
                started_by=request.user,
            )
        except USER_ERRORS as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The campaign link e-mail is being sent."))
            return redirect("web:campaign", campaign_id=campaign.pk)
    return render(request, "web/campaigns/link_mail.html", {"form": form})


@staff_view(permission="market")
def outbox_list(request: HttpRequest) -> HttpResponse:
    """The demo's local outbox: messages the Outbox back-end kept on disk."""
    return render(
        request,
        "web/campaigns/outbox.html",
        {"items": outbox.list_outbox(request.organisation)[:200]},
    )


@xframe_options_sameorigin
@staff_view(permission="market")
def outbox_message(request: HttpRequest, name: str) -> HttpResponse:
    item = outbox.read_outbox_item(request.organisation, name)
    if item is None:
        return HttpResponse(status=404)
    return _mail_view(item.html or f"<pre>{item.text}</pre>")
