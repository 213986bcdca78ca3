"""Hand-written SQL for a till sale, its hot path: its reads and its inserts.

Building these statements through the ORM cost more CPU than running them; written out
once, they run unchanged on SQLite and PostgreSQL. Each states the index it relies on.
On PostgreSQL they run as prepared statements (`_cursor`).
"""

import contextlib
import datetime
import functools
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

from regulars.commerce.models import Item
from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from .models import Balance, IdempotencyKey, ItemRule, ItemRulePeriod, Program, ProgramUse


def _db() -> BaseDatabaseWrapper:
    """The connection itself. `django.db.connection` is a proxy that finds it again, by a
    thread-local lookup, on every attribute read: about a twelfth of a sale's CPU when
    these functions read it for every name, value and cursor."""
    return connections[DEFAULT_DB_ALIAS]


@functools.cache
def _vendor() -> str:
    """The database's vendor, which names and statements are kept per: one per process."""
    return _db().vendor


def _table(model) -> str:
    return _quoted(_vendor(), model._meta.db_table)


@functools.cache
def _quoted(vendor: str, name: str) -> str:
    return _db().ops.quote_name(name)


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def _columns(model, alias: str = "", primary_key: bool = True) -> str:
    """The model's concrete columns in field order (for `_fetch`, or `insert` without the
    primary key)."""
    return _column_list(_vendor(), model, alias, primary_key)


@functools.cache
def _column_list(vendor: str, model, alias: str, primary_key: bool) -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(
        prefix + _quoted(vendor, f.column)
        for f in model._meta.concrete_fields
        if primary_key or not f.primary_key
    )


# Per database vendor, model and columns read: the converters the ORM applies to each
# (SQLite returns dates as text, JSON comes back as text), and how each field is written.
_readers: dict[tuple[str, type, tuple], list[tuple[int, Any, list[Callable]]]] = {}
_writers: dict[tuple[str, type], list[tuple[str, Callable | None]]] = {}
# Values these fields hold (int, str, bool, None) go to the driver as they are.
_PLAIN = {
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


# Per PostgreSQL connection, the one psycopg cursor these functions run on. A new cursor
# looks up the dumper of every parameter's type afresh; kept, it remembers them (about
# 12 µs of CPU less per statement, a twentieth of a sale's).
_kept_cursors: "weakref.WeakKeyDictionary[psycopg.Connection, psycopg.Cursor]" = (
    weakref.WeakKeyDictionary()
)


@contextlib.contextmanager
def _cursor() -> Iterator[CursorWrapper]:
    """Django's cursor; on PostgreSQL one that binds parameters on the server, so that
    psycopg prepares each statement once per connection (`prepare_threshold` in
    settings.py) and PostgreSQL stops parsing and planning it for every sale (that was
    about a third of a sale's database CPU). Django's own cursors bind on the client."""
    db = _db()
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    # What `db.cursor()` does, around the connection's kept server-binding cursor.
    db.close_if_health_check_failed()
    db.ensure_connection()
    kept = _kept_cursors.get(db.connection)
    if kept is None or kept.closed:
        kept = _kept_cursors[db.connection] = psycopg.Cursor(db.connection)
    wrapper = CursorDebugWrapper if db.queries_logged else CursorWrapper
    yield wrapper(kept, db)


def _fetch(model, sql: str, params: Sequence, fields: Sequence[str] | None = None) -> list:
    """Instances of the model from a query selecting `_columns(model)` (or just `fields`,
    in the model's field order, the rest deferred): what `raw()` gives, without its
    per-query column mapping."""
    db = _db()
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return [_instance(db, model, row, fields) for row in cursor.fetchall()]


def _instance(db: BaseDatabaseWrapper, model, row: Sequence, fields: Sequence[str] | None = None):
    """An instance of the model from its concrete columns' values, in field order (or just
    the values of `fields`)."""
    key = (db.vendor, model, tuple(fields or ()))
    if key not in _readers:
        chosen = [model._meta.get_field(name) for name in fields or ()]
        readers = []
        for index, field in enumerate(chosen or model._meta.concrete_fields):
            column = field.get_col(model._meta.db_table)
            found = db.ops.get_db_converters(column) + column.get_db_converters(db)
            if found:
                readers.append((index, column, found))
        _readers[key] = readers
    values = list(row)
    for index, column, converters in _readers[key]:
        for convert in converters:
            values[index] = convert(values[index], column, db)
    return model.from_db(db.alias, fields, values)


def _writer(model) -> list[tuple[str, Callable | None]]:
    key = (_vendor(), model)
    if key not in _writers:
        writer = []
        for field in model._meta.concrete_fields:
            if field.primary_key:
                continue
            target = field.target_field if field.is_relation else field
            plain = target.get_internal_type() in _PLAIN | {"AutoField", "BigAutoField"}
            writer.append((field.attname, None if plain else field.get_db_prep_save))
        _writers[key] = writer
    return _writers[key]


def active_programs(organisation: Organisation) -> list[Program]:
    """The organisation's active programs and the active supplier programs it uses, by id.

    The same rows as `queries.programs_for(...).filter(active=True)`. Index: the program's
    organisation foreign key; the use's unique (program, dealer).
    """
    sql = (
        f"SELECT {_columns(Program, 'p')} FROM {_table(Program)} p"
        " WHERE p.active AND (p.organisation_id = %s"
        f" OR (p.organisation_id = %s AND EXISTS (SELECT 1 FROM {_table(ProgramUse)} u"
        " WHERE u.program_id = p.id AND u.dealer_id = %s AND u.active))) ORDER BY p.id"
    )
    params = [organisation.pk, organisation.supplier_id, organisation.pk]
    return _fetch(Program, sql, params)


def till_customer(
    organisation_id: int, customer_id: int | None, external_id: str | None
) -> Customer | None:
    """The organisation's customer (not erased) by id, else by external id, with only the
    columns a till sale reads (the others load when touched).

    Index: the primary key; unique (organisation, external id).
    """
    column, value = ("id", customer_id) if customer_id is not None else ("external_id", external_id)
    read = {"id", "organisation_id", "email_consent", "sms_consent"}
    fields = [f.attname for f in Customer._meta.concrete_fields if f.attname in read]
    sql = (
        f"SELECT {', '.join(fields)} FROM {_table(Customer)}"
        f" WHERE organisation_id = %s AND {column} = %s AND erased_at IS NULL"
    )
    return next(iter(_fetch(Customer, sql, [organisation_id, value], fields)), None)


def items_and_terms(
    organisation: Organisation, numbers: set[str], programs: list[Program]
) -> tuple[list[Item], list[tuple]]:
    """The organisation's items with these numbers and, in the same query, the programs'
    rules on those item numbers: per rule and period (None when it has none) the program
    id, the item number, standard points earned, point price, purchasable; period start,
    end, its three terms. A program's rules are on its own organisation's items, so a
    supplier program's rule matches the dealer's item of the same number.

    Index: the item's unique (organisation, number), for the sold items and the items
    the rules are on; the rule's unique (program, item); the period's rule foreign key.
    """
    if not numbers:
        return [], []
    item_params: list[Any] = [organisation.pk, *sorted(numbers)]
    where = f"i.organisation_id = %s AND i.number IN ({_placeholders(numbers)})"
    if not programs:
        sql = f"SELECT {_columns(Item, 'i')} FROM {_table(Item)} i WHERE {where}"
        return _fetch(Item, sql, item_params), []
    owners = sorted({p.organisation_id for p in programs})
    program_ids = [p.pk for p in programs]
    sql = (
        f"SELECT {_columns(Item, 'i')}, r.program_id, r.points_earned, r.point_price,"
        " r.purchasable_for_points, p.starts_on, p.ends_on, p.points_earned, p.point_price,"
        f" p.purchasable_for_points FROM {_table(Item)} i"
        f" LEFT JOIN ({_table(Item)} ri JOIN {_table(ItemRule)} r ON r.item_id = ri.id"
        f" AND r.program_id IN ({_placeholders(program_ids)}))"
        f" ON ri.organisation_id IN ({_placeholders(owners)}) AND ri.number = i.number"
        f" LEFT JOIN {_table(ItemRulePeriod)} p ON p.rule_id = r.id"
        f" WHERE {where} ORDER BY r.id, p.starts_on, p.id"
    )
    db, width = _db(), len(Item._meta.concrete_fields)
    items: dict[int, Item] = {}
    terms = []
    with _cursor() as cursor:
        cursor.execute(sql, [*program_ids, *owners, *item_params])
        for row in cursor.fetchall():
            if row[0] not in items:
                items[row[0]] = _instance(db, Item, row[:width])
            if row[width] is not None:
                terms.append((row[width], items[row[0]].number, *row[width + 1 :]))
    return list(items.values()), terms


def locked_balances(customer_id: int, program_ids: list[int]) -> list[Balance]:
    """The customer's balance rows in the programs, locked in program order (PostgreSQL;
    SQLite's write transaction already excludes every other writer).

    Index: unique (program, customer).
    """
    sql = (
        f"SELECT {_columns(Balance)} FROM {_table(Balance)} WHERE customer_id = %s"
        f" AND program_id IN ({_placeholders(program_ids)}) ORDER BY program_id"
    )
    if _db().features.has_select_for_update:
        sql += " FOR UPDATE"
    return _fetch(Balance, sql, [customer_id, *program_ids])


def set_balance(balance: Balance) -> None:
    """Write a locked balance's points and time of change. Index: the primary key."""
    sql = f"UPDATE {_table(Balance)} SET points = %s, updated_at = %s WHERE id = %s"
    updated_at = _db().ops.adapt_datetimefield_value(balance.updated_at)
    with _cursor() as cursor:
        cursor.execute(sql, [balance.points, updated_at, balance.pk])


def advance_last_purchase(customer_id: int, at: datetime.datetime) -> None:
    """The customer's purchase totals after a till sale at `at`: it adds sale lines only,
    so just the last purchase moves forward, if it was earlier (`commerce.totals` keeps
    the rest). Index: the primary key."""
    sql = (
        f"UPDATE {_table(Customer)} SET last_purchase_at = %s"
        " WHERE id = %s AND (last_purchase_at IS NULL OR last_purchase_at < %s)"
    )
    value = _db().ops.adapt_datetimefield_value(at)
    with _cursor() as cursor:
        cursor.execute(sql, [value, customer_id, value])


def stored_response(organisation_id: int, key: str) -> IdempotencyKey | None:
    """Index: unique (organisation, key)."""
    sql = (
        f"SELECT {_columns(IdempotencyKey)} FROM {_table(IdempotencyKey)}"
        f" WHERE organisation_id = %s AND {_quoted(_vendor(), 'key')} = %s"
    )
    return next(iter(_fetch(IdempotencyKey, sql, [organisation_id, key])), None)


def try_key_lock(key_id: int) -> bool:
    """PostgreSQL: take the transaction-scoped advisory lock on a 64-bit key, or refuse."""
    with _cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key_id])
        (locked,) = cursor.fetchone()
    return locked


def insert(objects: Sequence[models.Model]) -> None:
    """INSERT unsaved instances of one model (its primary key `id`) in one statement and set
    their ids.

    Every column is written as the instance holds it: no `save()`, no signals, no
    `auto_now`; callers set every value themselves (as the ORM's `bulk_create`).
    """
    db = _db()
    model = type(objects[0])
    writer = _writer(model)
    columns = _columns(model, primary_key=False)
    row = "(" + ", ".join(["%s"] * len(writer)) + ")"
    sql = (
        f"INSERT INTO {_table(model)} ({columns}) VALUES {', '.join([row] * len(objects))}"
        f" RETURNING {_quoted(db.vendor, 'id')}"
    )
    params = [
        getattr(o, attname) if prepare is None else prepare(getattr(o, attname), db)
        for o in objects
        for attname, prepare in writer
    ]
    with _cursor() as cursor:
        cursor.execute(sql, params)
        ids = [pk for (pk,) in cursor.fetchall()]
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = db.alias
