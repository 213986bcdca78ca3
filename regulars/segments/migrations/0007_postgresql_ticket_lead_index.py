"""PostgreSQL's expression index on how long before the event a ticket was ordered.

impulsive (criteria/tickets.py, sql.OrderedWithinDaysOfEvent.as_sql) compares
event_start − ordered_at with the limit in hours; with this index that is a range scan
instead of a scan of every ticket (at 2M ticket rows the scan was the whole query).
"""

from django.db import migrations

INDEX = (
    "CREATE INDEX IF NOT EXISTS segments_ticket_lead_idx ON commerce_ticket "
    "(organisation_id, (event_start - ordered_at), customer_id, ordered_at, event_start)"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS segments_ticket_lead_idx")


class Migration(migrations.Migration):
    dependencies = [("segments", "0006_customer_position_covering_index")]

    operations = [migrations.RunPython(create_index, drop_index)]
