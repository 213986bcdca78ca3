"""What a customer's page shows besides the profile: consents, purchases, bookings, tickets."""

from regulars.commerce.models import Booking, Sale, SaleLine, Ticket
from regulars.customers.models import ConsentRecord, Customer, CustomerPermission, Permission

RECENT = 20


def customer_history(customer: Customer) -> dict:
    """The recent rows of each kind (newest first), each list capped at RECENT."""
    sales = list(
        Sale.objects.filter(organisation_id=customer.organisation_id, customer=customer).order_by(
            "-sold_at", "-id"
        )[:RECENT]
    )
    lines = SaleLine.objects.filter(sale__in=sales).select_related("item", "item_group")
    by_sale: dict[int, list[SaleLine]] = {}
    for line in lines.order_by("sale_id", "line_number"):
        by_sale.setdefault(line.sale_id, []).append(line)
    for sale in sales:
        sale.line_list = by_sale.get(sale.pk, [])  # type: ignore[attr-defined]
        sale.total_cents = sum(line.amount_cents for line in sale.line_list)  # type: ignore[attr-defined]
    granted = {
        grant.permission_id: grant.granted_at
        for grant in CustomerPermission.objects.filter(customer=customer)
    }
    permissions = [
        (permission, granted.get(permission.pk))
        for permission in Permission.objects.filter(organisation_id=customer.organisation_id)
    ]
    return {
        "sales": sales,
        "bookings": Booking.objects.filter(
            organisation_id=customer.organisation_id, customer=customer
        ).select_related("service")[:RECENT],
        "tickets": Ticket.objects.filter(
            organisation_id=customer.organisation_id, customer=customer
        )
        .select_related("event", "production", "event__venue")
        .order_by("-event_start")[:RECENT],
        "individuals": customer.individuals.order_by("kind", "external_id"),
        "permissions": permissions,
        "consent_history": ConsentRecord.objects.filter(customer=customer).select_related(
            "permission", "actor"
        )[:RECENT],
        "groups": customer.groups.all(),
        "tags": customer.tags.all(),
    }
