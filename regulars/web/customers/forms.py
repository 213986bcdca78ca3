"""The customer edit form: profile, consents, permissions, groups and tags."""

import phonenumbers
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regulars.customers.models import Customer, CustomerGroup, Permission, Tag
from regulars.web.access import row_id
from regulars.web.templatetags.web_shell import phone


class Choices(forms.ModelMultipleChoiceField):
    """Ticked rows by id, as checkboxes; an id no key can hold is an invalid choice, not a
    database error (SQLite refuses integers beyond 64 bits in `id IN (…)`)."""

    widget = forms.CheckboxSelectMultiple

    def clean(self, value):
        for pk in value or []:
            if row_id(str(pk)) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)


class CustomerForm(forms.ModelForm):
    email_consent = forms.BooleanField(label=_("E-mail newsletter"), required=False)
    sms_consent = forms.BooleanField(label=_("SMS newsletter"), required=False)
    permissions = Choices(
        label=_("Permissions"), queryset=Permission.objects.none(), required=False
    )
    groups = Choices(
        label=_("Customer groups"), queryset=CustomerGroup.objects.none(), required=False
    )
    tags = Choices(label=_("Tags"), queryset=Tag.objects.none(), required=False)
    new_tags = forms.CharField(
        label=_("New tags"),
        required=False,
        max_length=500,
        help_text=_("Separate several with commas."),
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", "—"), *settings.LANGUAGES]
    )

    class Meta:
        model = Customer
        fields = [
            "first_name",
            "last_name",
            "email",
            "mobile",
            "gender",
            "birth_date",
            "address",
            "postcode",
            "city",
            "country",
            "language",
            "external_id",
            "member",
        ]
        labels = {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "email": _("E-mail"),
            "mobile": _("Mobile"),
            "gender": _("Gender"),
            "birth_date": _("Birth date"),
            "address": _("Address"),
            "postcode": _("Postcode"),
            "city": _("City"),
            "country": _("Country"),
            "external_id": _("External id"),
            "member": _("Member (subscriber)"),
        }
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {"mobile": _("With country code, e.g. +45 20 30 40 50.")}

    def __init__(self, *args, can_market: bool, **kwargs):
        super().__init__(*args, **kwargs)
        customer = self.instance
        organisation_id = customer.organisation_id
        self.fields["permissions"].queryset = Permission.objects.filter(
            organisation_id=organisation_id
        )
        if not self.is_bound:
            self.initial.update(
                email_consent=customer.email_consent,
                sms_consent=customer.sms_consent,
                permissions=list(customer.permissions.values_list("pk", flat=True)),
                groups=list(customer.groups.values_list("pk", flat=True)),
                tags=list(customer.tags.values_list("pk", flat=True)),
                mobile=phone(customer.mobile),
            )
        if can_market:
            self.fields["groups"].queryset = CustomerGroup.objects.filter(
                organisation_id=organisation_id
            )
            self.fields["tags"].queryset = Tag.objects.filter(organisation_id=organisation_id)
        else:
            # Groups and tags steer marketing: only owners and marketers change them.
            for name in ("groups", "tags", "new_tags"):
                del self.fields[name]

    def clean_email(self) -> str:
        # Stored lower-case, as imports store it, so searches and matches find it.
        return self.cleaned_data["email"].strip().lower()

    def clean_mobile(self) -> str:
        raw = self.cleaned_data["mobile"].strip()
        if not raw:
            return ""
        region = self.cleaned_data.get("country") or self.instance.organisation.country or "DK"
        try:
            number = phonenumbers.parse(raw, region.upper())
        except phonenumbers.NumberParseException as error:
            raise forms.ValidationError(_("This is not a phone number.")) from error
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(_("This is not a valid phone number."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise forms.ValidationError(_("Use the two-letter country code, e.g. DK or NO."))
        return country

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        if birth_date and birth_date > timezone.localdate():
            raise forms.ValidationError(_("The birth date cannot be in the future."))
        return birth_date

    def clean_external_id(self):
        external_id = (self.cleaned_data["external_id"] or "").strip() or None
        if external_id:
            taken = Customer.objects.filter(
                organisation_id=self.instance.organisation_id, external_id=external_id
            ).exclude(pk=self.instance.pk)
            if taken.exists():
                raise forms.ValidationError(_("Another customer has this external id."))
        return external_id

    def clean_new_tags(self) -> list[str]:
        names = [name.strip() for name in self.cleaned_data["new_tags"].split(",")]
        if any(len(name) > 100 for name in names):
            raise forms.ValidationError(_("A tag has at most 100 characters."))
        return [name for name in dict.fromkeys(names) if name]
