"""An index on the customers' latitude for the distance criterion (criteria/person.py,
DistanceCriterion.latitude_band): only the customers in the venue's latitude band are
tested with the great-circle formula, not every customer with a position."""

from django.db import migrations

INDEX = "segments_customer_latitude_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0004_drop_postgresql_customer_channel_index"),
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {INDEX} "
            "ON customers_customer (organisation_id, latitude, longitude)",
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        )
    ]
