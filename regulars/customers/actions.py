"""Writes on customers. Every consent change goes through `record_consent` (DATA-6)."""

from django.db import transaction
from django.utils import timezone

from .models import ConsentKind, ConsentRecord, Customer, CustomerPermission, Permission


@transaction.atomic
def record_consent(
    *,
    customer: Customer,
    kind: str,
    granted: bool,
    source: str,
    text_shown: str = "",
    actor=None,
    permission: Permission | None = None,
    message_key: str = "",
    at=None,
) -> ConsentRecord:
    """Change one consent and keep the proof. The current state lives on the customer."""
    at = at or timezone.now()
    kind = ConsentKind(kind)
    if kind == ConsentKind.PERMISSION:
        if permission is None or permission.organisation_id != customer.organisation_id:
            raise ValueError("a permission of the customer's organisation is required")
        _set_permission(customer, permission, granted, at)
    else:
        field = "email_consent" if kind == ConsentKind.EMAIL else "sms_consent"
        Customer.objects.filter(pk=customer.pk).update(**{field: granted})
        setattr(customer, field, granted)
    return ConsentRecord.objects.create(
        organisation_id=customer.organisation_id,
        customer=customer,
        kind=kind,
        permission=permission,
        granted=granted,
        recorded_at=at,
        source=source,
        text_shown=text_shown,
        actor=actor,
        message_key=message_key,
    )


def _set_permission(customer: Customer, permission: Permission, granted: bool, at) -> None:
    if granted:
        CustomerPermission.objects.get_or_create(
            customer=customer, permission=permission, defaults={"granted_at": at}
        )
    else:
        CustomerPermission.objects.filter(customer=customer, permission=permission).delete()
