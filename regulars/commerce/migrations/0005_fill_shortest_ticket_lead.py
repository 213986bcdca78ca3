from django.db import migrations

from regulars.commerce.sql import refresh_totals


def fill(apps, schema_editor):
    """All totals are recomputed: the new one is computed beside the others."""
    organisations = apps.get_model("orgs", "Organisation").objects
    for organisation_id in organisations.values_list("pk", flat=True):
        refresh_totals(organisation_id)


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0004_event_indexes_cover_order_time"),
        ("customers", "0007_shortest_ticket_lead"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
