"""Back-office forms for campaigns, articles, e-mail templates and campaign link e-mails."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from regulars.commerce.models import Event, Production
from regulars.messaging.models import Article, Campaign, EmailTemplate


class CampaignForm(forms.ModelForm):
    rules_json = forms.CharField(
        label=_("Selection rules"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text=_(
            'Segment rules as JSON, e.g. {"match": "all", "criteria": [{"type": "member"}]}'
        ),
    )

    class Meta:
        model = Campaign
        fields = [
            "description",
            "kind",
            "dispatch",
            "direct_link",
            "direct_link_target",
            "requires_consent",
            "subject",
            "body",
            "article",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 12, "data-sms-count": "sms-count"})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["article"].queryset = Article.objects.filter(organisation=organisation)
        self.fields["article"].required = False
        self.fields["body"].required = False
        if self.instance.pk and self.instance.rules:
            self.initial["rules_json"] = json.dumps(self.instance.rules, indent=2)

    def clean_rules_json(self) -> dict:
        text = self.cleaned_data["rules_json"].strip()
        if not text:
            return {}
        try:
            rules = json.loads(text)
        except ValueError as error:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": error}) from None
        if not isinstance(rules, dict):
            raise forms.ValidationError(_("The rules must be a JSON object."))
        return rules

    def changes(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["rules"] = self.cleaned_data["rules_json"]
        return values


class AddRecipientForm(forms.Form):
    who = forms.CharField(
        label=_("Add a recipient by hand"),
        help_text=_("E-mail, mobile or external id of a customer (e.g. yourself, to test)."),
    )


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ["title", "body_html"]
        widgets = {"body_html": forms.Textarea(attrs={"rows": 14})}


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "subject", "body_html"]
        widgets = {"body_html": forms.Textarea(attrs={"rows": 14})}


class EmailFooterForm(forms.Form):
    footer = forms.CharField(
        label=_("Footer text"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Shown in every e-mail above the address and the unsubscribe link, "
            "e.g. opening hours or a line of legal text. Plain text; line breaks are kept."
        ),
    )


class LinkMailForm(forms.Form):
    production = forms.ModelChoiceField(
        label=_("Production"), queryset=Production.objects.none(), required=False
    )
    event = forms.ModelChoiceField(label=_("Event"), queryset=Event.objects.none(), required=False)
    template = forms.ModelChoiceField(
        label=_("E-mail template"), queryset=EmailTemplate.objects.none()
    )
    link = forms.URLField(label=_("Campaign link"), assume_scheme="https")
    subject = forms.CharField(label=_("Subject"), max_length=200)
    custom_text = forms.CharField(label=_("Custom text"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["production"].queryset = Production.objects.filter(organisation=organisation)
        self.fields["event"].queryset = Event.objects.filter(organisation=organisation)
        self.fields["template"].queryset = EmailTemplate.objects.filter(organisation=organisation)

    def clean(self):
        data = super().clean()
        if not data.get("production") and not data.get("event"):
            raise forms.ValidationError(_("Choose a production or an event."))
        return data

    def rules(self) -> dict:
        """The segment: ticket holders of the event or production."""
        # Past performances too: a follow-up mail after the show is the common case.
        criterion: dict = {"type": "event", "days_back": 3650}
        if self.cleaned_data.get("event"):
            criterion["events"] = [self.cleaned_data["event"].external_id]
        else:
            criterion["productions"] = [self.cleaned_data["production"].name]
        return {"match": "all", "criteria": [criterion]}
