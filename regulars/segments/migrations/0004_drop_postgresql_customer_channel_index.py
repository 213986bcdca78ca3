"""PostgreSQL never reads segments_ticket_customer_channel_idx (sales_type asks two hashed
channel sets there, criteria/tickets.py `channel_sets`), so it only slows ticket writes:
dropped on PostgreSQL, kept on SQLite where `channel_counts` walks it."""

from django.db import migrations

INDEX = (
    "CREATE INDEX IF NOT EXISTS segments_ticket_customer_channel_idx "
    "ON commerce_ticket (organisation_id, customer_id, channel, ordered_at)"
)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS segments_ticket_customer_channel_idx")


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


class Migration(migrations.Migration):
    dependencies = [("segments", "0003_ticket_lead_index")]

    operations = [migrations.RunPython(drop_index, create_index)]
