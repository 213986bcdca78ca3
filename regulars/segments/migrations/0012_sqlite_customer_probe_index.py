"""SQLite: a customer found by id (a segment's buyers, ticket holders, tag members) is
tested from a narrow index instead of its row. A nested segment looks up every customer
an `id IN (…)` list names; the 1M-row customer table is hundreds of MB, this index a
tenth of it, so the lookups stay in cache (nested any/all segment at 1M customers:
130 → 100 ms). It holds the live-customer index's columns with the id first; SQLite
does not read the two generated reachability flags from an index, so the dashboard's
e-mail and SMS totals still read the rows.

PostgreSQL answers such segments by scanning the live-customer index and probing hashed
id lists, never by looking customers up one by one (72k index probes cost more than the
scan there), so it would only make every customer write dearer: SQLite only.
"""

from django.db import migrations

INDEX = "segments_customer_probe_idx"
COLUMNS = (
    "id, organisation_id, erased_at, member, email_consent, sms_consent, "
    "email_reachable, sms_reachable"
)


def create_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer ({COLUMNS})"
        )
        schema_editor.execute('ANALYZE "customers_customer"')


def drop_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("segments", "0011_membership_covering_indexes")]

    operations = [migrations.RunPython(create_index, drop_index)]
