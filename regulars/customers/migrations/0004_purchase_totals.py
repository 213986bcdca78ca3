from django.db import migrations, models

# The whole-number totals start at 0. Added with plain ALTER TABLE on both engines: Django
# would rebuild the SQLite table once per NOT NULL column, slow on a large customer table.
COUNTS = {
    "ticket_quantity": models.IntegerField,
    "ticket_events": models.IntegerField,
    "ticket_orders": models.IntegerField,
    "ticket_revenue_cents": models.BigIntegerField,
    "online_tickets": models.IntegerField,
    "boxoffice_tickets": models.IntegerField,
}


def add_count(name, field_class):
    column_type = "bigint" if field_class is models.BigIntegerField else "integer"
    return migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.RunSQL(
                f'ALTER TABLE "customers_customer" ADD COLUMN "{name}" {column_type} '
                "DEFAULT 0 NOT NULL",
                f'ALTER TABLE "customers_customer" DROP COLUMN "{name}"',
            )
        ],
        state_operations=[
            migrations.AddField(
                model_name="customer",
                name=name,
                field=field_class(default=0, db_default=0, editable=False),
            )
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_list_sort_indexes_with_ids"),
        ("orgs", "0002_organisation_email_footer"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="last_purchase_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        *[add_count(name, field_class) for name, field_class in COUNTS.items()],
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["organisation", "last_purchase_at", "erased_at"],
                name="customer_last_purchase",
            ),
        ),
    ]
