from django.utils import timezone

from regulars.customers.actions import record_consent
from regulars.customers.models import ConsentRecord, Customer, Permission


def _customer(organisation, **fields):
    return Customer.objects.create(organisation=organisation, created_at=timezone.now(), **fields)


def test_consent_changes_keep_every_record_and_update_the_current_state(org, other_org):
    anna = _customer(org, first_name="Anna", email="anna@example.com")
    _customer(other_org, first_name="Ola", email="ola@example.com", email_consent=True)

    record_consent(customer=anna, kind="email", granted=True, source="import", text_shown="Ja tak")
    record_consent(customer=anna, kind="email", granted=False, source="unsubscribe link")

    anna.refresh_from_db()
    assert anna.email_consent is False
    history = list(ConsentRecord.objects.filter(customer=anna).order_by("id"))
    assert [(r.granted, r.source, r.text_shown) for r in history] == [
        (True, "import", "Ja tak"),
        (False, "unsubscribe link", ""),
    ]
    assert ConsentRecord.objects.filter(organisation=org).count() == 2


def test_permissions_are_granted_and_withdrawn(org):
    anna = _customer(org, first_name="Anna")
    photos = Permission.objects.create(organisation=org, name="photos")

    record_consent(customer=anna, kind="permission", permission=photos, granted=True, source="api")
    assert list(anna.permissions.all()) == [photos]
    record_consent(customer=anna, kind="permission", permission=photos, granted=False, source="api")
    assert list(anna.permissions.all()) == []
