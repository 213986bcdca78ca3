"""Purchase totals of customers in three set-based statements.

One GROUP BY over the sale lines and one over the tickets, each walking its (organisation,
customer, …) index, for a whole organisation (the migration adding the totals, bulk loads)
or for the customers an import or API write touched. UPDATE … FROM: SQLite 3.33+,
PostgreSQL.
"""

from collections.abc import Sequence

from django.db import connection

RESET = """
UPDATE customers_customer
SET last_purchase_at = NULL, ticket_quantity = 0, ticket_events = 0, ticket_orders = 0,
    ticket_revenue_cents = 0, online_tickets = 0, boxoffice_tickets = 0,
    shortest_ticket_lead = NULL
WHERE organisation_id = %s {customers}
"""

# Index: commerce_saleline (organisation_id, customer_id, sold_at).
LAST_SALE = """
UPDATE customers_customer SET last_purchase_at = lines.latest
FROM (
    SELECT customer_id, MAX(sold_at) AS latest FROM commerce_saleline
    WHERE organisation_id = %s AND customer_id IS NOT NULL {owners}
    GROUP BY customer_id
) AS lines
WHERE customers_customer.id = lines.customer_id
"""

# Index: commerce_ticket (organisation_id, customer_id, ordered_at).
TICKETS = """
UPDATE customers_customer
SET last_purchase_at = CASE
        WHEN last_purchase_at IS NULL OR tickets.latest > last_purchase_at THEN tickets.latest
        ELSE last_purchase_at
    END,
    ticket_quantity = tickets.quantity, ticket_events = tickets.events,
    ticket_orders = tickets.orders, ticket_revenue_cents = tickets.revenue,
    online_tickets = tickets.online, boxoffice_tickets = tickets.boxoffice,
    shortest_ticket_lead = tickets.shortest_lead
FROM (
    SELECT customer_id, MAX(ordered_at) AS latest, SUM(quantity) AS quantity,
        COUNT(DISTINCT event_id) AS events, COUNT(DISTINCT order_id) AS orders,
        SUM(amount_cents) AS revenue,
        SUM(CASE WHEN channel = 'online' THEN 1 ELSE 0 END) AS online,
        SUM(CASE WHEN channel = 'boxoffice' THEN 1 ELSE 0 END) AS boxoffice,
        MIN(CASE WHEN ordered_at <= event_start THEN {lead} END) AS shortest_lead
    FROM commerce_ticket
    WHERE organisation_id = %s AND customer_id IS NOT NULL {owners}
    GROUP BY customer_id
) AS tickets
WHERE customers_customer.id = tickets.customer_id
"""

# event_start − ordered_at as each engine stores a DurationField: an interval, or whole
# microseconds (SQLite: from julian days, exact to the millisecond, as the impulsive
# criterion compares them).
LEAD = {
    "postgresql": "event_start - ordered_at",
    "sqlite": "CAST(ROUND((julianday(event_start) - julianday(ordered_at)) * 86400000) AS INTEGER)"
    " * 1000",
}


def refresh_totals(organisation_id: int, customer_ids: Sequence[int] | None = None) -> None:
    """Recompute the purchase totals of these customers (None: all of the organisation's)."""
    params: list[int] = [organisation_id, *(customer_ids or [])]
    if customer_ids is None:
        customers = owners = ""
    else:
        marks = ", ".join(["%s"] * len(customer_ids))
        customers, owners = f"AND id IN ({marks})", f"AND customer_id IN ({marks})"
    with connection.cursor() as cursor:
        cursor.execute(RESET.format(customers=customers), params)
        cursor.execute(LAST_SALE.format(owners=owners), params)
        cursor.execute(TICKETS.format(owners=owners, lead=LEAD[connection.vendor]), params)
