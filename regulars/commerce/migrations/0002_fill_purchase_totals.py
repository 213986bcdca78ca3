from django.db import migrations

from regulars.commerce.sql import refresh_totals


def fill(apps, schema_editor):
    for organisation_id in apps.get_model("orgs", "Organisation").objects.values_list(
        "pk", flat=True
    ):
        refresh_totals(organisation_id)


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0001_initial"),
        ("customers", "0004_purchase_totals"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
