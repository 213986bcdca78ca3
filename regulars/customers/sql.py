"""Hand-written SQL for bulk writes (imports of a million rows).

`bulk_create` spends most of its time preparing each value through the ORM; these
inserts prepare only the values that need it (dates, times, JSON) and send multi-row
INSERT statements, on SQLite and PostgreSQL alike.
"""

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

# Bound parameters per statement: SQLite allows 32766 (since 3.32), PostgreSQL 65535.
MAX_PARAMETERS = 30000


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    returning_ids: bool = False,
) -> list[int]:
    """INSERT the rows (values in `columns` order, Python values) into the model's table;
    with `returning_ids`, the new primary keys in row order."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    adapters = [_adapter(model, column) for column in columns]
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    ids: list[int] = []
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while batch := list(itertools.islice(iterator, per_statement)):
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([row_sql] * len(batch))}"
            params = [
                adapt(value) if adapt and value is not None else value
                for row in batch
                for adapt, value in zip(adapters, row, strict=True)
            ]
            if returning_ids:
                cursor.execute(sql + " RETURNING " + connection.ops.quote_name("id"), params)
                ids.extend(row[0] for row in cursor.fetchall())
            else:
                cursor.execute(sql, params)
    return ids


def _adapter(model: type[models.Model], column: str):
    """How a Python value of this column becomes a database value (None: as it is)."""
    field = next(f for f in model._meta.concrete_fields if f.column == column)
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, models.JSONField | models.DecimalField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def insert_objects(objects: Sequence[models.Model]) -> None:
    """INSERT unsaved model instances of one model and set their primary keys."""
    if not objects:
        return
    model = type(objects[0])
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not field.generated  # the database computes those
    ]
    ids = insert_rows(
        model,
        [field.column for field in fields if field.column],
        ([getattr(obj, field.attname) for field in fields] for obj in objects),
        returning_ids=True,
    )
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
