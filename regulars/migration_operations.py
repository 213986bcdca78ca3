"""Operations that several apps' migrations share."""

from django.db import migrations, models


def drop_own_index(
    table: str, name: str, field: models.ForeignKey, index: str
) -> migrations.SeparateDatabaseAndState:
    """The foreign key `name` of `table` ("app_model") becomes `field`, with
    `db_index=False` as another index starts with its column: its own index is dropped by
    name. As a plain AlterField, SQLite would copy the whole table to do it (it remakes a
    table for any altered column)."""
    _app, model_name = table.split("_", 1)
    column = f"{name}_id"
    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=name, field=field)],
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX IF EXISTS "{index}"',
                f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
            )
        ],
    )
