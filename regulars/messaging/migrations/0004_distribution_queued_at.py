from django.db import migrations, models
from django.db.models import F


def mark_existing_queued(apps, schema_editor):
    # Distributions before this field were queued in one transaction: complete when started.
    Distribution = apps.get_model("messaging", "Distribution")
    Distribution.objects.update(queued_at=F("started_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_periodic_run"),
    ]

    operations = [
        migrations.AddField(
            model_name="distribution",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_existing_queued, migrations.RunPython.noop),
    ]
