"""Bulk writes of generated rows: executemany on SQLite, COPY on PostgreSQL.

Rows arrive already shaped as columns (see generator.COLUMNS), so the ORM is bypassed on
purpose: at a million customers and ten million sale lines, model instances would cost
more than the database does. Every write happens inside the caller's transaction.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection
from django.db.models import Model

from regulars.commerce.models import Booking, Sale, SaleLine, Ticket, TicketOrder
from regulars.customers.models import ConsentRecord, Customer, CustomerPermission, Individual

from .generator import COLUMNS, Batch
from .producer import counting_reserve
from .world import POSTGRES_TIME, SQLITE_TIME, TimeFormat

# Tables in foreign-key order.
MODELS: dict[str, type[Model]] = {
    "customer": Customer,
    "customer_group": Customer.groups.through,
    "customer_tag": Customer.tags.through,
    "customer_permission": CustomerPermission,
    "consent": ConsentRecord,
    "individual": Individual,
    "sale": Sale,
    "sale_line": SaleLine,
    "booking": Booking,
    "ticket_order": TicketOrder,
    "ticket": Ticket,
}
# Tables whose ids the generator assigns (other rows point to them).
REFERENCED = ("customer", "sale", "ticket_order")
# SQLite's page cache while bulk loading (KiB, as a negative cache_size): random inserts
# into the sold_at indexes stay in memory instead of re-reading pages.
SQLITE_BULK_CACHE_KIB = 1024 * 1024


def _columns(table: str) -> str:
    meta = MODELS[table]._meta
    return ", ".join(f'"{meta.get_field(name).column}"' for name in COLUMNS[table])  # type: ignore[union-attr]


def _table(table: str) -> str:
    return f'"{MODELS[table]._meta.db_table}"'


class ConcurrentWrite(RuntimeError):
    """Another writer inserted rows into a table the bulk load assigns ids for (SQLite)."""


class DatabaseSink:
    """Writes batches into the default database; ids are reserved per batch."""

    def __init__(self) -> None:
        self.vendor = connection.vendor

    @property
    def time_format(self) -> TimeFormat:
        return POSTGRES_TIME if self.vendor == "postgresql" else SQLITE_TIME

    @contextmanager
    def tuned(self) -> Iterator[None]:
        """A larger SQLite page cache for this connection while loading; restored after."""
        if self.vendor != "sqlite":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            previous = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {-SQLITE_BULK_CACHE_KIB}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(previous)}")

    def id_sources(self) -> dict:
        """How a generator gets ids (see producer.Plan): counted from the first free one on
        SQLite; from the sequences on PostgreSQL."""
        if self.vendor != "postgresql":
            return {"first_ids": {t: self._highest_sqlite_id(t) + 1 for t in REFERENCED}}
        settings = connection.settings_dict
        keywords = {
            "dbname": settings["NAME"],
            "user": settings["USER"],
            "password": settings["PASSWORD"],
            "host": settings["HOST"],
            "port": str(settings["PORT"] or ""),
        }
        with connection.cursor() as cursor:
            sequences = {}
            for table in REFERENCED:
                cursor.execute(
                    "SELECT pg_get_serial_sequence(%s, 'id')", [MODELS[table]._meta.db_table]
                )
                sequences[table] = cursor.fetchone()[0]
        return {"postgres": {k: v for k, v in keywords.items() if v}, "sequences": sequences}

    def reserver(self, plan) -> Callable[[str, int], Sequence[int]]:
        """Id reservation for a generator in this process."""
        return (
            self._reserve_from_sequence
            if self.vendor == "postgresql"
            else counting_reserve(plan.first_ids)
        )

    def _highest_sqlite_id(self, table: str) -> int:
        name = MODELS[table]._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{name}"')
            highest = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [name])
            row = cursor.fetchone()
        return max(highest, row[0] if row else 0)

    def _check_ids_unclaimed(self, batch: Batch) -> None:
        """SQLite: fail clearly if another writer took ids that were counted for us."""
        for table in REFERENCED:
            rows = getattr(batch, table)
            if rows and self._highest_sqlite_id(table) >= rows[0][0]:
                raise ConcurrentWrite(f"{table} rows were added while the demo data loaded")

    def _reserve_from_sequence(self, table: str, count: int) -> Sequence[int]:
        # nextval is safe beside concurrent writers; the ids need not be contiguous.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [MODELS[table]._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def write(self, batch: Batch) -> None:
        """Insert a batch; call inside a transaction."""
        if self.vendor != "postgresql":
            self._check_ids_unclaimed(batch)
        for table in MODELS:
            rows = getattr(batch, table)
            if rows:
                self._write_rows(table, rows)

    def _write_rows(self, table: str, rows: list[tuple]) -> None:
        with connection.cursor() as wrapper:
            raw = wrapper.cursor
            if self.vendor == "postgresql":
                with raw.copy(f"COPY {_table(table)} ({_columns(table)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(COLUMNS[table]))
                raw.executemany(
                    f"INSERT INTO {_table(table)} ({_columns(table)}) VALUES ({marks})", rows
                )


# --- bulk loads: secondary indexes are rebuilt once instead of updated row by row ---------

# Non-unique, non-primary indexes of a table with their definitions. Unique indexes stay:
# they keep guarding the data while it loads.
SQLITE_SECONDARY_INDEXES = """
    SELECT name, sql FROM sqlite_master
    WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL
      AND upper(sql) NOT LIKE 'CREATE UNIQUE%%'
"""
POSTGRES_SECONDARY_INDEXES = """
    SELECT index_class.relname, pg_get_indexdef(ix.indexrelid)
    FROM pg_index ix JOIN pg_class index_class ON index_class.oid = ix.indexrelid
    WHERE ix.indrelid = %s::regclass AND NOT ix.indisunique AND NOT ix.indisprimary
"""


def secondary_indexes(table_name: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the droppable indexes of a table."""
    query = (
        POSTGRES_SECONDARY_INDEXES
        if connection.vendor == "postgresql"
        else SQLITE_SECONDARY_INDEXES
    )
    with connection.cursor() as cursor:
        cursor.execute(
            query, [f'"{table_name}"' if connection.vendor == "postgresql" else table_name]
        )
        return [(name, definition) for name, definition in cursor.fetchall()]


def drop_index(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_index(definition: str) -> None:
    """Run a saved CREATE INDEX statement; an index that is already there is left alone."""
    statement = definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(statement)
        if connection.vendor == "postgresql":
            cursor.execute("RESET maintenance_work_mem")


def analyze(table_names: list[str]) -> None:
    """Fresh planner statistics after a bulk load (SQLite: sampled, not a full scan)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit = 1000")
        for name in table_names:
            cursor.execute(f'ANALYZE "{name}"')


def skip_row_triggers_in_transaction(skip: bool) -> None:
    """PostgreSQL only: skip the per-row foreign-key triggers of this transaction's COPYs.

    The generator assigns every id itself, so the references hold by construction; with
    ten million lines the deferred checks would cost more than the load. Needs a superuser
    (otherwise nothing changes); the setting is transaction-local and is turned back at the
    end of the batch.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return
        cursor.execute(f"SET LOCAL session_replication_role = {'replica' if skip else 'origin'}")
