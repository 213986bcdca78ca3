"""On PostgreSQL the database itself refuses to update or delete ledger entries."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION loyalty_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'loyalty ledger entries are append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER loyalty_ledger_append_only
    BEFORE UPDATE OR DELETE ON loyalty_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION loyalty_ledger_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS loyalty_ledger_append_only ON loyalty_ledgerentry;
DROP FUNCTION IF EXISTS loyalty_ledger_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
