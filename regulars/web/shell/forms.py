"""Forms of the settings pages."""

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from regulars.orgs.models import Organisation, Role

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]
COUNTRY_CHOICES = [
    ("DK", _("Denmark")),
    ("NO", _("Norway")),
    ("SE", _("Sweden")),
    ("FI", _("Finland")),
    ("DE", _("Germany")),
    ("GB", _("United Kingdom")),
]
CURRENCY_CHOICES = [("DKK", "DKK"), ("NOK", "NOK"), ("SEK", "SEK"), ("EUR", "EUR"), ("GBP", "GBP")]


class OrganisationForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("time zone"), choices=TIMEZONE_CHOICES)
    country = forms.ChoiceField(label=_("country"), choices=COUNTRY_CHOICES)
    language = forms.ChoiceField(label=_("default language"), choices=settings.LANGUAGES)
    currency = forms.ChoiceField(label=_("currency"), choices=CURRENCY_CHOICES)
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = [
            "name",
            "address",
            "postcode",
            "city",
            "country",
            "timezone",
            "language",
            "currency",
            "email",
            "phone",
            "website",
            "logo",
        ]
        labels = {
            "name": _("name"),
            "address": _("address"),
            "postcode": _("postcode"),
            "city": _("city"),
            "email": _("e-mail"),
            "phone": _("phone"),
            "logo": _("logo"),
        }


class AddStaffForm(forms.Form):
    username = forms.CharField(label=_("username"), max_length=150)
    email = forms.EmailField(label=_("e-mail"))
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    password = forms.CharField(
        label=_("first password"),
        widget=forms.PasswordInput(render_value=True),
        help_text=_("Give it to the new staff member; they can change it with a password reset."),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            user = get_user_model()(
                username=cleaned.get("username", ""), email=cleaned.get("email", "")
            )
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("name"),
        max_length=100,
        help_text=_("What uses the key, e.g. “till” or “web shop”."),
    )
