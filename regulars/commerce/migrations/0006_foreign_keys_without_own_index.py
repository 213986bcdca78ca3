"""Foreign keys whose column already leads another index lose their own index."""

from django.db import migrations, models

from regulars.migration_operations import drop_own_index


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0005_fill_shortest_ticket_lead"),
        ("orgs", "0002_organisation_email_footer"),
    ]

    operations = [
        drop_own_index(
            "commerce_booking",
            "organisation",
            models.ForeignKey(db_index=False, on_delete=models.CASCADE, to="orgs.organisation"),
            "commerce_booking_organisation_id_63cb6344",
        ),
        drop_own_index(
            "commerce_sale",
            "organisation",
            models.ForeignKey(db_index=False, on_delete=models.CASCADE, to="orgs.organisation"),
            "commerce_sale_organisation_id_54d8157c",
        ),
        drop_own_index(
            "commerce_saleline",
            "organisation",
            models.ForeignKey(db_index=False, on_delete=models.CASCADE, to="orgs.organisation"),
            "commerce_saleline_organisation_id_628ee92f",
        ),
        drop_own_index(
            "commerce_saleline",
            "sale",
            models.ForeignKey(
                db_index=False, on_delete=models.CASCADE, related_name="lines", to="commerce.sale"
            ),
            "commerce_saleline_sale_id_5b8e601e",
        ),
        drop_own_index(
            "commerce_ticket",
            "organisation",
            models.ForeignKey(db_index=False, on_delete=models.CASCADE, to="orgs.organisation"),
            "commerce_ticket_organisation_id_2a3d25a2",
        ),
    ]
