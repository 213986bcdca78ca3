from django.db import migrations, models


def forget_unfinished_keys(apps, schema_editor):
    """Keys claimed but never answered: their work was never committed, a retry is safe."""
    apps.get_model("loyalty", "IdempotencyKey").objects.filter(done=False).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0002_ledger_append_only"),
    ]

    operations = [
        migrations.RunPython(forget_unfinished_keys, migrations.RunPython.noop),
        migrations.RemoveField(model_name="idempotencykey", name="done"),
        migrations.AlterField(
            model_name="idempotencykey",
            name="response_status",
            field=models.PositiveSmallIntegerField(),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="response_body",
            field=models.JSONField(),
        ),
    ]
