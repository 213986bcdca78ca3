"""Foreign keys whose column already leads another index lose their own index."""

from django.db import migrations, models

from regulars.migration_operations import drop_own_index


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_foreign_keys_without_own_index"),
        ("orgs", "0002_organisation_email_footer"),
        ("tracking", "0001_initial"),
    ]

    operations = [
        drop_own_index(
            "tracking_trackingevent",
            "message",
            models.ForeignKey(
                db_index=False,
                on_delete=models.CASCADE,
                related_name="events",
                to="messaging.message",
            ),
            "tracking_trackingevent_message_id_0b7bace8",
        ),
        drop_own_index(
            "tracking_trackingevent",
            "organisation",
            models.ForeignKey(db_index=False, on_delete=models.CASCADE, to="orgs.organisation"),
            "tracking_trackingevent_organisation_id_3c0a0d2a",
        ),
    ]
