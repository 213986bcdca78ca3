"""Foreign keys whose column already leads another index lose their own index."""

from django.db import migrations, models

from regulars.migration_operations import drop_own_index


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0010_foreign_keys_without_own_index"),
        ("messaging", "0004_distribution_queued_at"),
        ("orgs", "0002_organisation_email_footer"),
    ]

    operations = [
        drop_own_index(
            "messaging_message",
            "customer",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=models.SET_NULL,
                to="customers.customer",
            ),
            "messaging_message_customer_id_8d410b21",
        ),
        drop_own_index(
            "messaging_message",
            "organisation",
            models.ForeignKey(db_index=False, on_delete=models.CASCADE, to="orgs.organisation"),
            "messaging_message_organisation_id_4feada06",
        ),
    ]
