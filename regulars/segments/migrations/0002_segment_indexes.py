"""Covering indexes for the segment criteria that read whole ranges of rows.

Plain composite indexes (no INCLUDE) so the same statement works on SQLite and
PostgreSQL; every column a criterion reads is in the index, so both engines answer from
the index alone instead of visiting the table row by row.
"""

from django.db import migrations

INDEXES = [
    # ticket_count / event_count / order_count / ticket_revenue (criteria/tickets.py,
    # TicketTotalCriterion): one GROUP BY customer over the tickets ordered up to `at`.
    (
        "segments_ticket_totals_idx",
        "commerce_ticket (organisation_id, customer_id, ordered_at, event_id, order_id, "
        "quantity, amount_cents)",
    ),
    # last_purchase (criteria/purchases.py): customers with a ticket ordered in a window;
    # impulsive (criteria/tickets.py) reads the event start beside the order time.
    (
        "segments_ticket_ordered_idx",
        "commerce_ticket (organisation_id, ordered_at, customer_id, event_start, channel)",
    ),
    # last_purchase: customers with a sale line sold in a window.
    ("segments_saleline_sold_idx", "commerce_saleline (organisation_id, sold_at, customer_id)"),
    # impulsive + sales_type (criteria/tickets.py): tickets by channel with both times.
    (
        "segments_ticket_channel_idx",
        "commerce_ticket (organisation_id, channel, customer_id, ordered_at, event_start)",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0001_initial"),
        ("commerce", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, target in INDEXES
    ]
