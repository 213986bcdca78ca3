"""The live-customer id index also holds whom a newsletter reaches by e-mail and by SMS
(customers 0008): the dashboard's e-mail and SMS counts beside a segment's total are
answered from the index, as the total is, instead of reading each member's row.

On SQLite, adding the two columns rebuilt the customer table without the indexes made by
hand-written SQL (0006, 0008) and without its planner statistics: both are made again
here (PostgreSQL keeps its indexes: IF NOT EXISTS), the statistics rather than at the
worker's next hourly check (segments.planner), since until then segment counts walk every
customer."""

from django.db import migrations

INDEX = "segments_customer_live_idx"
BEFORE = "organisation_id, erased_at, id, member, email_consent, sms_consent"
COLUMNS = f"{BEFORE}, email_reachable, sms_reachable"


# The other indexes on customers_customer made by hand-written SQL, as 0006 and 0008 made them.
KEPT = {
    "segments_customer_position_idx": "organisation_id, latitude, longitude, erased_at, id",
    "segments_customer_profile_idx": (
        "organisation_id, erased_at, id, gender, birth_date, postcode_number, member, "
        "email_consent, sms_consent, last_purchase_at, ticket_quantity, ticket_events, "
        "ticket_orders, ticket_revenue_cents, online_tickets, boxoffice_tickets"
    ),
}


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
        migrations.RunSQL(
            sql=[
                f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer ({columns})"
                for name, columns in KEPT.items()
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunPython(analyse_customers, migrations.RunPython.noop),
    ]
