"""Ticket indexes for impulsive (SQLite only) and sales_type (both engines).

SQLite gets an expression index on how long before the event a ticket was ordered:
impulsive (criteria/tickets.py, sql.OrderedWithinDaysOfEvent.as_sqlite) compares
julianday(event_start) − julianday(ordered_at) with the day limit; with this index that
is a range scan instead of two date parses per ticket. PostgreSQL computes its interval
test cheaply enough from segments_ticket_ordered_idx and gets nothing here.
"""

from django.db import migrations

INDEX = (
    "CREATE INDEX IF NOT EXISTS segments_ticket_lead_idx ON commerce_ticket "
    "(organisation_id, (julianday(event_start) - julianday(ordered_at)), customer_id, "
    "ordered_at, event_start)"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP INDEX IF EXISTS segments_ticket_lead_idx")


class Migration(migrations.Migration):
    dependencies = [("segments", "0002_segment_indexes")]

    operations = [
        migrations.RunPython(create_index, drop_index),
        # sales_type on SQLite (criteria/tickets.py, channel_counts): both channels counted
        # per customer in index order. PostgreSQL plans better with channel_sets and does
        # not read it.
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS segments_ticket_customer_channel_idx "
            "ON commerce_ticket (organisation_id, customer_id, channel, ordered_at)",
            reverse_sql="DROP INDEX IF EXISTS segments_ticket_customer_channel_idx",
        ),
    ]
