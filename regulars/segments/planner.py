"""SQLite's query-planner statistics, gathered again when a table has grown or shrunk.

Without statistics SQLite takes any index that starts with organisation_id for a segment
over one organisation and walks every customer through it (at 1M customers: 2 s where a
scan takes 0.3 s). PostgreSQL's autovacuum keeps its own statistics, so this is SQLite's
only. A table's ANALYZE is whole (a sampling limit extrapolates one organisation's rows to
a few); it holds the write lock while it reads the table, which is why it runs only when
the row count has changed by half since the last time.
"""

from typing import Any

from django.db import connection

MIN_ROWS = 1000  # below this every plan is fast enough


def refresh_planner_statistics() -> list[str]:
    """ANALYZE the tables whose statistics are missing or stale; returns their names."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        stale = [
            table for table in connection.introspection.table_names(cursor) if _stale(cursor, table)
        ]
        for table in stale:
            cursor.execute(f'ANALYZE "{table}"')
    return stale


def _stale(cursor: Any, table: str) -> bool:
    cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
    rows = cursor.fetchone()[0]
    if rows < MIN_ROWS:
        return False
    analysed = _analysed_rows(cursor, table)
    return analysed is None or not analysed / 2 <= rows <= analysed * 2


def _analysed_rows(cursor: Any, table: str) -> int | None:
    """The row count the last ANALYZE saw (None: never analysed)."""
    cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
    if cursor.fetchone() is None:
        return None
    cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
    found = cursor.fetchone()
    return int(found[0].split()[0]) if found else None
