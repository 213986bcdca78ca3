"""Forms of the loyalty back office."""

from django import forms
from django.utils.translation import gettext_lazy as _

from regulars.loyalty.actions import PROGRAM_SETTINGS
from regulars.loyalty.models import LoyaltySettings, Program

DATE = forms.DateInput(attrs={"type": "date"})


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = PROGRAM_SETTINGS
        widgets = {
            "earn_from": DATE,
            "earn_until": DATE,
            "redeem_from": DATE,
            "redeem_until": DATE,
            "unsubscribe_warning": forms.Textarea(attrs={"rows": 2}),
        }


class ItemRuleForm(forms.Form):
    item_number = forms.CharField(label=_("Item number"), max_length=50)
    points_earned = forms.IntegerField(label=_("Points earned per purchase"), min_value=0)
    point_price = forms.IntegerField(label=_("Point price"), min_value=0)
    purchasable_for_points = forms.BooleanField(label=_("May be bought for points"), required=False)
    starts_on = forms.DateField(label=_("Time-limited period from"), required=False, widget=DATE)
    ends_on = forms.DateField(label=_("until"), required=False, widget=DATE)


class ServiceRuleForm(forms.Form):
    service = forms.CharField(label=_("Service or class"), max_length=200)
    points = forms.IntegerField(label=_("Points per booking"), min_value=0)


class GiftCardProductForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    value = forms.DecimalField(label=_("Value"), min_value=1, decimal_places=2)
    point_price = forms.IntegerField(label=_("Point price"), min_value=1)
    valid_days = forms.IntegerField(label=_("Valid for days"), min_value=1, initial=365)


class GiftCardProductEditForm(GiftCardProductForm):
    active = forms.BooleanField(label=_("Active (customers can buy it)"), required=False)


class AdjustmentForm(forms.Form):
    customer = forms.CharField(label=_("Customer (e-mail or external id)"), max_length=200)
    program = forms.ModelChoiceField(label=_("Program"), queryset=Program.objects.none())
    amount = forms.IntegerField(label=_("Points (use − to subtract)"))
    description = forms.CharField(label=_("Description (shown to the customer)"), max_length=300)

    def __init__(self, *args, programs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs


class TemplatesForm(forms.ModelForm):
    class Meta:
        model = LoyaltySettings
        fields = ["credit_subject", "credit_body", "manual_subject", "manual_body"]
