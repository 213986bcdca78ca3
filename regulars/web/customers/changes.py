"""Saving the customer edit form: one transaction, a consent record for every change."""

from django.db import transaction

from regulars.customers.actions import record_consent
from regulars.customers.models import Customer, Tag

from .forms import CustomerForm

SOURCE = "back office"


@transaction.atomic
def save_customer_form(*, form: CustomerForm, actor) -> Customer:
    """Write a valid form: the profile, consents (with proof), permissions, groups, tags."""
    customer = Customer.objects.select_for_update().get(pk=form.instance.pk)
    before = {
        "email": customer.email_consent,
        "sms": customer.sms_consent,
        "permissions": set(customer.permissions.values_list("pk", flat=True)),
    }
    customer = form.save(commit=False)
    _sync_derived_fields(customer)
    customer.save()
    data = form.cleaned_data
    for kind in ("email", "sms"):
        if data[f"{kind}_consent"] != before[kind]:
            record_consent(
                customer=customer,
                kind=kind,
                granted=data[f"{kind}_consent"],
                source=SOURCE,
                actor=actor,
            )
    chosen = {permission.pk: permission for permission in data["permissions"]}
    for permission in form.fields["permissions"].queryset:
        granted = permission.pk in chosen
        if granted != (permission.pk in before["permissions"]):
            record_consent(
                customer=customer,
                kind="permission",
                permission=permission,
                granted=granted,
                source=SOURCE,
                text_shown=permission.text,
                actor=actor,
            )
    if "groups" in form.fields:
        customer.groups.set(data["groups"])
        new_tags = [
            Tag.objects.get_or_create(organisation_id=customer.organisation_id, name=name)[0]
            for name in data["new_tags"]
        ]
        customer.tags.set([*data["tags"], *new_tags])
    return customer


def _sync_derived_fields(customer: Customer) -> None:
    """birth_monthday and postcode_number follow birth_date and postcode (segment indexes)."""
    birth_date = customer.birth_date
    customer.birth_monthday = birth_date.month * 100 + birth_date.day if birth_date else None
    postcode = customer.postcode.strip()
    customer.postcode_number = int(postcode) if postcode.isdigit() and len(postcode) <= 9 else None
