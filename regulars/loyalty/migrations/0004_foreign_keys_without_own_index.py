"""Foreign keys whose column already leads another index lose their own index."""

from django.db import migrations, models

from regulars.migration_operations import drop_own_index


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0003_idempotency_key_with_response"),
        ("orgs", "0002_organisation_email_footer"),
    ]

    operations = [
        drop_own_index(
            "loyalty_idempotencykey",
            "organisation",
            models.ForeignKey(db_index=False, on_delete=models.CASCADE, to="orgs.organisation"),
            "loyalty_idempotencykey_organisation_id_6e9ac961",
        ),
        drop_own_index(
            "loyalty_ledgerentry",
            "organisation",
            models.ForeignKey(db_index=False, on_delete=models.PROTECT, to="orgs.organisation"),
            "loyalty_ledgerentry_organisation_id_8d05a264",
        ),
        drop_own_index(
            "loyalty_ledgerentry",
            "program",
            models.ForeignKey(
                db_index=False,
                on_delete=models.PROTECT,
                related_name="entries",
                to="loyalty.program",
            ),
            "loyalty_ledgerentry_program_id_38b3cddc",
        ),
    ]
