from django.db import migrations

from regulars.commerce.totals import purchase_totals


def fill(apps, schema_editor):
    customers = apps.get_model("customers", "Customer")
    totals = purchase_totals(apps.get_model("commerce", "SaleLine"), apps.get_model("commerce", "Ticket"))
    customers.objects.update(**totals)


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0001_initial"),
        ("customers", "0004_purchase_totals"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
