"""The live-customer id index also holds whom a newsletter reaches by e-mail and by SMS
(customers 0008): the dashboard's e-mail and SMS counts beside a segment's total are
answered from the index, as the total is, instead of reading each member's row.

On SQLite, adding the two columns rebuilt the customer table without its planner
statistics; they are gathered again here rather than at the worker's next hourly check
(segments.planner), since until then segment counts walk every customer."""

from django.db import migrations

INDEX = "segments_customer_live_idx"
BEFORE = "organisation_id, erased_at, id, member, email_consent, sms_consent"
COLUMNS = f"{BEFORE}, email_reachable, sms_reachable"


def create(columns: str) -> list[str]:
    return [
        f"DROP INDEX IF EXISTS {INDEX}",
        f"CREATE INDEX {INDEX} ON customers_customer ({columns})",
    ]


def analyse_customers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute('ANALYZE "customers_customer"')


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0009_customer_ids_index_with_flags"),
        ("customers", "0008_reachable_flags"),
    ]

    operations = [
        migrations.RunSQL(sql=create(COLUMNS), reverse_sql=create(BEFORE)),
        migrations.RunPython(analyse_customers, migrations.RunPython.noop),
    ]
