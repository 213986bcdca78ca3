"""Foreign keys whose column already leads another index lose their own index."""

from django.db import migrations, models

from regulars.migration_operations import drop_own_index


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_ticket_lead_index_with_channels"),
        ("orgs", "0002_organisation_email_footer"),
    ]

    operations = [
        drop_own_index(
            "customers_consentrecord",
            "customer",
            models.ForeignKey(
                db_index=False,
                on_delete=models.CASCADE,
                related_name="consents",
                to="customers.customer",
            ),
            "customers_consentrecord_customer_id_48c59a12",
        ),
        drop_own_index(
            "customers_customer",
            "organisation",
            models.ForeignKey(db_index=False, on_delete=models.CASCADE, to="orgs.organisation"),
            "customers_customer_organisation_id_53525f42",
        ),
    ]
