"""Per-customer purchase totals, kept on Customer as a cache of sale lines and tickets.

Segment criteria on the last purchase and on lifetime ticket totals read these columns
(one row per customer) instead of aggregating millions of lines. Every writer of sale
lines or tickets calls `refresh_purchase_totals` for the customers it touched, in the
same transaction; the totals are recomputed from the rows, so a replaced receipt or an
order moved to another customer leaves both customers right.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest

from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from .models import SaleLine, Ticket, TicketChannel
from .sql import refresh_all_purchase_totals

CHUNK = 500


def refresh_purchase_totals(
    *, organisation: Organisation, customer_ids: Iterable[int | None] | None = None
) -> None:
    """Recompute the totals of these customers (None: all of the organisation's)."""
    if customer_ids is None:
        refresh_all_purchase_totals(organisation.pk)
        return
    customers = Customer.objects.filter(organisation=organisation)
    ids = sorted({pk for pk in customer_ids if pk is not None})
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        customers.filter(pk__in=chunk).update(**purchase_totals(SaleLine, Ticket))


def note_new_purchase(*, customer_id: int, at: datetime.datetime) -> None:
    """The cheap refresh for a writer that only adds sale lines bought at `at` (the till):
    the last purchase moves forward to `at` if it was earlier; nothing else changes."""
    Customer.objects.filter(pk=customer_id).filter(
        Q(last_purchase_at__isnull=True) | Q(last_purchase_at__lt=at)
    ).update(last_purchase_at=at)


def purchase_totals(sale_line_model: Any, ticket_model: Any) -> dict[str, Any]:
    """Column → expression computing it from the customer's rows."""
    # (organisation, customer, time) indexes serve both: the latest time is the last entry.
    mine = {"organisation": OuterRef("organisation"), "customer": OuterRef("pk")}
    lines = sale_line_model.objects.filter(**mine).order_by().values("customer")
    tickets = ticket_model.objects.filter(**mine).order_by().values("customer")
    last_sale = Subquery(lines.annotate(latest=Max("sold_at")).values("latest"))
    last_order = Subquery(tickets.annotate(latest=Max("ordered_at")).values("latest"))

    def ticket_total(total: Any) -> Coalesce:
        return Coalesce(Subquery(tickets.annotate(total=total).values("total")), 0)

    return {
        # Greatest is NULL on SQLite when either side is: each side falls back on the other.
        "last_purchase_at": Greatest(
            Coalesce(last_sale, last_order), Coalesce(last_order, last_sale)
        ),
        "ticket_quantity": ticket_total(Sum("quantity")),
        "ticket_events": ticket_total(Count("event_id", distinct=True)),
        "ticket_orders": ticket_total(Count("order_id", distinct=True)),
        "ticket_revenue_cents": ticket_total(Sum("amount_cents")),
        "online_tickets": ticket_total(Count("pk", filter=Q(channel=TicketChannel.ONLINE))),
        "boxoffice_tickets": ticket_total(Count("pk", filter=Q(channel=TicketChannel.BOXOFFICE))),
    }
