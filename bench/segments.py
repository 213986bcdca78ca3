"""Segment benchmark: p50/p95 of counting named segments on SQLite and PostgreSQL, with
the same SQL run by DuckDB on the same data as the machine-independent yardstick.

    .venv/bin/python bench/segments.py --customers 100000
    .venv/bin/python bench/segments.py --customers 1000000 --repeat 5

Data (deterministic): N customers, 10·N sale lines, N bookings, 2·N ticket orders, made
once by DuckDB SQL into var/bench/segments-N.duckdb, then bulk-loaded into a fresh SQLite
file (var/bench/segments-N.sqlite3) and the PostgreSQL database `bench_segments` — never
the development database. Each engine is timed in its own child process through the real
path (`compile_rules(...).count()`, validation included); the PostgreSQL child also runs
the compiled SQL in DuckDB. Prints a table; writes bench/results/segments-<engine>[-N].json.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = ROOT / "var" / "bench"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "bench_segments"
AT = "2026-06-01T12:00:00+02:00"

# Every table in load order with its columns, exactly as the Django models make them.
TABLES: dict[str, list[str]] = {
    "customers_customergroup": ["id", "organisation_id", "name"],
    "customers_tag": ["id", "organisation_id", "name"],
    "customers_permission": ["id", "organisation_id", "name", "text"],
    "customers_customer": [
        "id",
        "organisation_id",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "mobile",
        "gender",
        "birth_date",
        "birth_monthday",
        "address",
        "postcode",
        "postcode_number",
        "city",
        "country",
        "latitude",
        "longitude",
        "language",
        "created_at",
        "updated_at",
        "member",
        "email_consent",
        "sms_consent",
        "erased_at",
    ],
    "customers_customer_groups": ["id", "customer_id", "customergroup_id"],
    "customers_customer_tags": ["id", "customer_id", "tag_id"],
    "customers_customerpermission": ["id", "customer_id", "permission_id", "granted_at"],
    "commerce_itemgroup": ["id", "organisation_id", "name"],
    "commerce_item": ["id", "organisation_id", "number", "name", "group_id", "price_cents"],
    "commerce_sale": ["id", "organisation_id", "receipt_id", "customer_id", "sold_at", "channel"],
    "commerce_saleline": [
        "id",
        "organisation_id",
        "sale_id",
        "line_number",
        "customer_id",
        "sold_at",
        "channel",
        "item_id",
        "item_group_id",
        "quantity",
        "unit_price_cents",
        "discount_cents",
        "amount_cents",
    ],
    "commerce_service": ["id", "organisation_id", "name"],
    "commerce_booking": [
        "id",
        "organisation_id",
        "external_id",
        "customer_id",
        "service_id",
        "start",
        "end",
        "status",
    ],
    "commerce_venue": ["id", "organisation_id", "name", "latitude", "longitude"],
    "commerce_production": ["id", "organisation_id", "name"],
    "commerce_event": [
        "id",
        "organisation_id",
        "external_id",
        "production_id",
        "venue_id",
        "start",
    ],
    "commerce_ticketorder": [
        "id",
        "organisation_id",
        "order_id",
        "customer_id",
        "ordered_at",
        "channel",
    ],
    "commerce_ticket": [
        "id",
        "organisation_id",
        "order_id",
        "customer_id",
        "ordered_at",
        "channel",
        "event_id",
        "event_start",
        "production_id",
        "quantity",
        "amount_cents",
    ],
}

# Generation in DuckDB. {n} customers; the clock is centred on AT (2026-06-01): sales and
# ticket orders all lie before it, as they do at "now"; bookings and events run past it.
# Sales, their lines and ticket orders get their ids in time order, as a till and a ticket
# system write them (so a period's rows lie together in the table, as in a real database).
# random() is repeatable only where DuckDB generates the rows (range); over a table it
# follows the threads' share of the rows, so columns derived from a table hash its ids.
GENERATE = """
SELECT setseed(0.42);
CREATE TABLE customers_customergroup AS
  SELECT i AS id, 1 AS organisation_id, 'Group ' || i AS name FROM range(1, 11) t(i);
UPDATE customers_customergroup SET name = 'VIP' WHERE id = 1;
CREATE TABLE customers_tag AS
  SELECT i AS id, 1 AS organisation_id, 'Tag ' || i AS name FROM range(1, 11) t(i);
CREATE TABLE customers_permission AS
  SELECT i AS id, 1 AS organisation_id, 'Permission ' || i AS name, '' AS text
  FROM range(1, 4) t(i);
CREATE TABLE customers_customer AS
  SELECT id, 1 AS organisation_id, 'C' || id AS external_id, 'First' || (id % 997) AS first_name,
    'Last' || (id % 1009) AS last_name,
    CASE WHEN random() < 0.7 THEN 'c' || id || '@example.com' ELSE '' END AS email,
    CASE WHEN random() < 0.6 THEN '+45' || (20000000 + id) ELSE '' END AS mobile,
    CASE WHEN g < 0.45 THEN 'female' WHEN g < 0.9 THEN 'male' ELSE 'unknown' END AS gender,
    birth_date,
    CASE WHEN birth_date IS NULL THEN NULL
         ELSE month(birth_date) * 100 + day(birth_date) END AS birth_monthday,
    '' AS address, postcode::VARCHAR AS postcode, postcode AS postcode_number, '' AS city,
    'DK' AS country,
    CASE WHEN located THEN 54.6 + random() * 3.1 END AS latitude,
    CASE WHEN located THEN 8.1 + random() * 4.6 END AS longitude,
    'da' AS language,
    TIMESTAMP '2015-01-01' + to_seconds((random() * 11.4 * 365 * 86400)::BIGINT) AS created_at,
    TIMESTAMP '2026-06-01' AS updated_at,
    random() < 0.1 AS member, random() < 0.5 AS email_consent, random() < 0.3 AS sms_consent,
    CASE WHEN random() < 0.01 THEN TIMESTAMP '2026-01-01' END AS erased_at
  FROM (
    SELECT i AS id, random() AS g, random() < 0.7 AS located,
      (1000 + floor(random() * 8990))::INTEGER AS postcode,
      CASE WHEN random() < 0.8
           THEN DATE '1940-01-01' + (random() * 25000)::INTEGER END AS birth_date
    FROM range(1, {n} + 1) t(i)
  );
CREATE TABLE customers_customer_groups AS
  SELECT row_number() OVER () AS id, id AS customer_id,
    1 + (hash(id) % 10)::INTEGER AS customergroup_id
  FROM customers_customer WHERE random() < 0.3;
CREATE TABLE customers_customer_tags AS
  SELECT row_number() OVER () AS id, id AS customer_id, 1 + (hash(id * 7) % 10)::INTEGER AS tag_id
  FROM customers_customer WHERE random() < 0.2;
CREATE TABLE customers_customerpermission AS
  SELECT row_number() OVER () AS id, id AS customer_id, 1 + (id % 3)::INTEGER AS permission_id,
    TIMESTAMP '2024-01-01' AS granted_at
  FROM customers_customer WHERE random() < 0.2;
CREATE TABLE commerce_itemgroup AS
  SELECT i AS id, 1 AS organisation_id, 'Item group ' || i AS name FROM range(1, 21) t(i);
UPDATE commerce_itemgroup SET name = 'Hair' WHERE id = 1;
CREATE TABLE commerce_item AS
  SELECT i AS id, 1 AS organisation_id, i::VARCHAR AS number, 'Item ' || i AS name,
    1 + (i % 20) AS group_id, 1000 * (1 + i % 50) AS price_cents
  FROM range(1, 501) t(i);
CREATE TABLE commerce_sale AS
  SELECT id, 1 AS organisation_id, 'R' || id AS receipt_id, customer_id, sold_at, channel
  FROM (
    SELECT row_number() OVER (ORDER BY sold_at, i) AS id, customer_id, sold_at, channel
    FROM (
      SELECT i,
        CASE WHEN random() < 0.95 THEN 1 + floor(random() * {n})::BIGINT END AS customer_id,
        TIMESTAMP '2023-06-01' + to_seconds((random() * 3 * 365 * 86400)::BIGINT) AS sold_at,
        CASE WHEN random() < 0.85 THEN 'pos' ELSE 'adhoc' END AS channel
      FROM range(1, {n} * 5 + 1) t(i)
    )
  );
CREATE TABLE commerce_saleline AS
  SELECT row_number() OVER (ORDER BY s.id, l) AS id, 1 AS organisation_id, s.id AS sale_id,
    l AS line_number, s.customer_id, s.sold_at, s.channel, item_id,
    1 + (item_id % 20) AS item_group_id,
    1 AS quantity, amount AS unit_price_cents, 0 AS discount_cents, amount AS amount_cents
  FROM commerce_sale s, range(1, 3) t(l),
    LATERAL (SELECT 1 + (hash(s.id * 3 + l) % 500)::BIGINT AS item_id,
                    (5000 + hash(s.id * 7 + l) % 95000)::BIGINT AS amount);
CREATE TABLE commerce_service AS
  SELECT i AS id, 1 AS organisation_id, 'Service ' || i AS name FROM range(1, 31) t(i);
UPDATE commerce_service SET name = 'Cut' WHERE id = 1;
CREATE TABLE commerce_booking AS
  SELECT i AS id, 1 AS organisation_id, 'B' || i AS external_id,
    1 + floor(random() * {n})::BIGINT AS customer_id,
    1 + floor(random() * 30)::BIGINT AS service_id,
    start, start + INTERVAL 1 HOUR AS "end",
    CASE WHEN r < 0.5 THEN 'booked' WHEN r < 0.85 THEN 'completed'
         WHEN r < 0.95 THEN 'cancelled' ELSE 'no_show' END AS status
  FROM (SELECT i, random() AS r,
          TIMESTAMP '2025-06-01' + to_seconds((random() * 1.5 * 365 * 86400)::BIGINT) AS start
        FROM range(1, {n} + 1) t(i));
CREATE TABLE commerce_venue AS
  SELECT i AS id, 1 AS organisation_id, 'Venue ' || i AS name,
    55.0 + i * 0.25 AS latitude, 9.0 + i * 0.3 AS longitude FROM range(1, 11) t(i);
CREATE TABLE commerce_production AS
  SELECT i AS id, 1 AS organisation_id, 'Production ' || i AS name FROM range(1, 41) t(i);
CREATE TABLE commerce_event AS
  SELECT i AS id, 1 AS organisation_id, 'E' || i AS external_id,
    1 + (i % 40) AS production_id, 1 + (i % 10) AS venue_id,
    TIMESTAMP '2024-06-01' + to_seconds((random() * 2.5 * 365 * 86400)::BIGINT) AS start
  FROM range(1, 401) t(i);
CREATE TABLE commerce_ticketorder AS
  SELECT row_number() OVER (ORDER BY ordered_at, i) AS id, * EXCLUDE (i) FROM (
  SELECT i, 1 AS organisation_id, 'O' || i AS order_id,
    CASE WHEN random() < 0.97 THEN 1 + floor(random() * {n})::BIGINT END AS customer_id,
    LEAST(e.start, TIMESTAMP '2026-06-01') - to_seconds((random() * 60 * 86400)::BIGINT)
      AS ordered_at,
    CASE WHEN random() < 0.7 THEN 'online' ELSE 'boxoffice' END AS channel,
    e.id AS event_id, e.start AS event_start, e.production_id
  FROM (SELECT i, 1 + floor(random() * 400)::BIGINT AS event_id FROM range(1, {n} * 2 + 1) t(i)) o
  JOIN commerce_event e ON e.id = o.event_id);
CREATE TABLE commerce_ticket AS
  SELECT id, organisation_id, id AS order_id, customer_id, ordered_at, channel, event_id,
    event_start, production_id, 1 + (hash(id * 11) % 4)::INTEGER AS quantity,
    (20000 + hash(id * 13) % 60000)::BIGINT AS amount_cents
  FROM commerce_ticketorder;
ALTER TABLE commerce_ticketorder DROP COLUMN event_id;
ALTER TABLE commerce_ticketorder DROP COLUMN event_start;
ALTER TABLE commerce_ticketorder DROP COLUMN production_id;
"""

# Named segments from selective to broad (SEG-3/SEG-4 criteria, the list).
SEGMENTS: dict[str, dict[str, Any]] = {
    "vip_women": {
        "match": "all",
        "criteria": [
            {"type": "customer_group", "groups": ["VIP"]},
            {"type": "gender", "values": ["female"]},
            {"type": "consent", "channel": "email"},
        ],
    },
    "bought_item_last_30d": {
        "match": "all",
        "criteria": [{"type": "bought_item", "items": ["42"], "period": {"last_days": 30}}],
    },
    "hair_revenue_90d": {
        "match": "all",
        "criteria": [
            {"type": "revenue", "min": 500, "item_group": "Hair", "period": {"last_days": 90}}
        ],
    },
    "birthday_next_14d": {
        "match": "all",
        "criteria": [{"type": "birthday", "from": 0, "to": 14, "unit": "days"}],
    },
    "near_venue_15km": {
        "match": "all",
        "criteria": [{"type": "distance", "venue": "Venue 4", "max_km": 15}],
    },
    "cut_booked_next_30d": {
        "match": "all",
        "criteria": [{"type": "booking", "period": {"next_days": 30}, "services": ["Cut"]}],
    },
    "impulsive_online_buyers": {
        "match": "all",
        "criteria": [
            {"type": "impulsive", "max_days": 2},
            {"type": "sales_type", "value": "online"},
        ],
    },
    "ticket_regulars": {
        "match": "all",
        "criteria": [
            {"type": "event_count", "op": "gte", "value": 3},
            {"type": "ticket_revenue", "op": "gte", "value": 1500},
        ],
    },
    "age_25_40_local": {
        "match": "all",
        "criteria": [
            {"type": "age", "min": 25, "max": 40},
            {"type": "postcode", "from": 8000, "to": 8999},
        ],
    },
    "nested_any_all_opposite_exclude": {
        "match": "any",
        "criteria": [
            {
                "match": "all",
                "criteria": [
                    {"type": "bought_item_group", "groups": ["Hair"], "period": {"last_days": 180}},
                    {"type": "tag", "tags": ["Tag 3"], "opposite": True},
                ],
            },
            {
                "match": "all",
                "criteria": [
                    {"type": "event", "productions": ["Production 7"], "days_back": 30},
                    {"type": "member", "opposite": True},
                ],
            },
        ],
        "exclude": [{"type": "consent", "channel": "sms"}],
    },
    "lapsed_not_within_365d": {
        "match": "all",
        "criteria": [{"type": "last_purchase", "mode": "not_within", "days": 365}],
    },
    "not_female_half": {
        "match": "all",
        "criteria": [{"type": "gender", "values": ["female"], "opposite": True}],
    },
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--child", choices=["sqlite", "postgresql"])
    return parser.parse_args()


# --- the parent -------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    if args.child:
        return child(args)
    WORKDIR.mkdir(parents=True, exist_ok=True)
    duck = generate(args.customers)
    results = {}
    for engine in args.engines.split(","):
        out = WORKDIR / f"segments-{engine}-{args.customers}.json"
        argv = [
            sys.executable,
            __file__,
            "--child",
            engine,
            "--customers",
            str(args.customers),
            "--repeat",
            str(args.repeat),
        ]
        subprocess.run(
            argv, check=True, env={**os.environ, "BENCH_OUT": str(out), "BENCH_DUCKDB": str(duck)}
        )
        results[engine] = json.loads(out.read_text())
    duckdb_times = results.get("postgresql", {}).get("duckdb")
    for engine, result in results.items():
        result["duckdb"] = duckdb_times
        add_targets(result)
        report(engine, result)
        results_dir = ROOT / "bench" / "results"
        results_dir.mkdir(parents=True, exist_ok=True)
        for name in (f"segments-{engine}.json", f"segments-{engine}-{args.customers}.json"):
            (results_dir / name).write_text(json.dumps(result, indent=2) + "\n")


# The customers' purchase totals (regulars.commerce.totals), for the queries DuckDB runs.
PURCHASE_TOTALS = """
CREATE OR REPLACE TABLE customers_customer AS
SELECT c.*, greatest(s.last_sale, t.last_order) AS last_purchase_at,
  coalesce(t.quantity, 0) AS ticket_quantity, coalesce(t.events, 0) AS ticket_events,
  coalesce(t.orders, 0) AS ticket_orders, coalesce(t.revenue, 0) AS ticket_revenue_cents,
  coalesce(t.online, 0) AS online_tickets, coalesce(t.boxoffice, 0) AS boxoffice_tickets,
  t.shortest_lead AS shortest_ticket_lead
FROM customers_customer c
LEFT JOIN (SELECT customer_id, max(sold_at) AS last_sale FROM commerce_saleline GROUP BY 1) s
  ON s.customer_id = c.id
LEFT JOIN (
  SELECT customer_id, max(ordered_at) AS last_order, sum(quantity) AS quantity,
    count(DISTINCT event_id) AS events, count(DISTINCT order_id) AS orders,
    sum(amount_cents) AS revenue, count(*) FILTER (channel = 'online') AS online,
    count(*) FILTER (channel = 'boxoffice') AS boxoffice,
    min(event_start - ordered_at) FILTER (ordered_at <= event_start) AS shortest_lead
  FROM commerce_ticket GROUP BY 1
) t ON t.customer_id = c.id
ORDER BY c.id
"""


def generate(customers: int) -> Path:
    import duckdb

    path = WORKDIR / f"segments-{customers}.duckdb"
    if path.exists():
        return path
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with duckdb.connect(str(partial)) as db:
        db.execute("SET TimeZone = 'UTC'")
        for statement in GENERATE.format(n=customers).split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(PURCHASE_TOTALS)
    partial.rename(path)
    print(f"generated {customers} customers in {time.perf_counter() - started:.0f} s")
    return path


# The targets on a 2-core machine: p50 ≤ 100 ms for a selective segment, ≤ 300 ms
# for a broad one (here: a tenth of the customers or more) and for the dashboard count.
SELECTIVE_MS, BROAD_MS, BROAD_SHARE = 100.0, 300.0, 0.1


def add_targets(result: dict) -> None:
    for row in result["segments"].values():
        broad = row["members"] >= BROAD_SHARE * result["customers"]
        row["target_ms"] = BROAD_MS if broad else SELECTIVE_MS
    result["dashboard_target_ms"] = BROAD_MS


def report(engine: str, result: dict) -> None:
    print(
        f"\n{engine} — {result['customers']} customers, {result['sale_lines']} sale lines, "
        f"load {result['load_seconds']:.0f} s"
    )
    print(
        f"{'segment':34} {'members':>9} {'p50 ms':>8} {'p95 ms':>8} {'duckdb ms':>10} {'ratio':>6}"
        f" {'target':>8}"
    )
    duck = result.get("duckdb") or {}
    for name, row in result["segments"].items():
        duck_p50 = duck.get(name, {}).get("p50_ms")
        ratio = f"{row['p50_ms'] / duck_p50:6.1f}" if duck_p50 else "     -"
        duck_text = f"{duck_p50:10.1f}" if duck_p50 else "         -"
        print(
            f"{name:34} {row['members']:>9} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} "
            f"{duck_text} {ratio} {met(row['p50_ms'], row['target_ms'])}"
        )
    print(
        f"dashboard count (total+e-mail+SMS+each criterion) of nested segment: "
        f"p50 {result['dashboard_p50_ms']:.1f} ms, p95 {result.get('dashboard_p95_ms', 0):.1f} ms"
        f" {met(result['dashboard_p50_ms'], result['dashboard_target_ms'])}"
    )


def met(p50_ms: float, target: float) -> str:
    return f"{'≤' if p50_ms <= target else '>'}{target:.0f} {'ok' if p50_ms <= target else 'MISS'}"


# --- the child: one engine --------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    database = prepare_database(args.child, args.customers)
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulars.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from regulars.orgs.models import Organisation

    result: dict[str, Any] = {
        "engine": args.child,
        "customers": args.customers,
        "machine": platform.platform(),
        "at": AT,
    }
    if args.child == "postgresql":
        result["max_parallel_workers_per_gather"] = parallel_workers()
    call_command("migrate", verbosity=0)
    if not Organisation.objects.filter(slug="bench").exists():
        from regulars.orgs.actions import create_organisation

        organisation = create_organisation(slug="bench", name="Bench")
        started = time.perf_counter()
        load(connection, Path(os.environ["BENCH_DUCKDB"]), args.child, organisation)
        result["load_seconds"] = time.perf_counter() - started
    else:
        result["load_seconds"] = 0.0
    organisation = Organisation.objects.get(slug="bench")
    result["sale_lines"] = count_rows(connection, "commerce_saleline")
    result["segments"] = time_segments(organisation, args.repeat)
    result["dashboard_p50_ms"], result["dashboard_p95_ms"] = time_dashboard(
        organisation, args.repeat
    )
    if args.child == "postgresql":
        result["duckdb"] = time_duckdb(organisation, args.repeat)
    Path(os.environ["BENCH_OUT"]).write_text(json.dumps(result))


def prepare_database(engine: str, customers: int) -> str:
    """A throwaway database for the benchmark (kept between runs of the same size)."""
    if engine == "sqlite":
        return f"sqlite:///{WORKDIR / f'segments-{customers}.sqlite3'}"
    import psycopg

    name = f"{PG_BENCH_DB}_{customers}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(
            f'ALTER DATABASE "{name}" SET max_parallel_workers_per_gather = {parallel_workers()}'
        )
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def parallel_workers() -> int:
    """Workers per parallel query for a PostgreSQL server on this machine, as the README
    advises: one fewer than the cores, since the process that starts them scans too.
    PostgreSQL's default of 2 puts three processes on a 2-core machine, each hashing every
    id list of the query for itself (1M customers, 2 against 1 taking turns: the nested
    segment 263 -> 195 ms, its dashboard counts 358 -> 304 ms)."""
    return (os.cpu_count() or 1) - 1


def count_rows(connection: Any, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        return cursor.fetchone()[0]


def load(connection: Any, duck_path: Path, engine: str, organisation: Any) -> None:
    """Copy every generated table into the Django database, fill the customers' purchase
    totals (as every writer of sales and tickets does), then gather statistics."""
    import duckdb

    from regulars.commerce.totals import refresh_purchase_totals

    with duckdb.connect(str(duck_path), read_only=True) as duck:
        duck.execute("SET TimeZone = 'UTC'")
        for table, columns in TABLES.items():
            select = ", ".join(as_text(duck, table, column, engine) for column in columns)
            rows = duck.execute(f"SELECT {select} FROM {table} ORDER BY id")
            if engine == "sqlite":
                insert_sqlite(connection, table, columns, rows)
            else:
                copy_postgresql(connection, table, columns, rows)
            print(f"  loaded {table}", flush=True)
    refresh_purchase_totals(organisation=organisation)
    print("  filled the purchase totals", flush=True)
    with connection.cursor() as cursor:
        if engine == "postgresql":
            # Filling the totals wrote a second version of every customer row: compact
            # them, as a database whose totals grew row by row would be.
            cursor.execute("VACUUM FULL customers_customer")
        # VACUUM sets PostgreSQL's visibility map, without which the covering indexes of
        # the segments app cannot answer from the index alone (as after autovacuum).
        cursor.execute("VACUUM ANALYZE" if engine == "postgresql" else "ANALYZE")
    if engine == "postgresql":
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )


def as_text(duck: Any, table: str, column: str, engine: str) -> str:
    """Timestamps as the text each engine reads (SQLite: naive UTC, as Django writes)."""
    kind = duck.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
        [table, column],
    ).fetchone()[0]
    quoted = f'"{column}"'
    if kind.startswith("TIMESTAMP"):
        pattern = "%Y-%m-%d %H:%M:%S" if engine == "sqlite" else "%Y-%m-%d %H:%M:%S+00"
        return f"strftime({quoted}, '{pattern}')"
    if kind == "DATE":
        return f"CAST({quoted} AS VARCHAR)"
    return quoted


def insert_sqlite(connection: Any, table: str, columns: list[str], rows: Any) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    raw = connection.connection
    # A 2 GB page cache while loading: with the default 2 MB, inserting into the sale-line
    # indexes reads most pages back through the OS; the default is restored for timing.
    raw.execute("PRAGMA cache_size = -2000000")
    raw.execute("BEGIN")  # Django's connection is in autocommit mode: one transaction
    while batch := rows.fetchmany(50_000):
        raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)
    raw.execute("COMMIT")
    raw.execute("PRAGMA cache_size = -2000")


def copy_postgresql(connection: Any, table: str, columns: list[str], rows: Any) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        while batch := rows.fetchmany(50_000):
            for row in batch:
                copy.write_row(row)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(function: Any, repeat: int) -> tuple[Any, list[float]]:
    value = function()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        value = function()
        samples.append((time.perf_counter() - started) * 1000)
    return value, samples


def time_segments(organisation: Any, repeat: int) -> dict:
    import datetime

    from regulars.segments.engine import compile_rules

    at = datetime.datetime.fromisoformat(AT)
    results = {}
    for name, rules in SEGMENTS.items():
        members, samples = timed(lambda r=rules: compile_rules(organisation, r, at).count(), repeat)
        results[name] = {
            "members": members,
            "p50_ms": statistics.median(samples),
            "p95_ms": percentile(samples, 0.95),
        }
        print(f"  {name}: {members} members, p50 {results[name]['p50_ms']:.1f} ms", flush=True)
    return results


def time_dashboard(organisation: Any, repeat: int) -> tuple[float, float]:
    import datetime

    from regulars.segments.engine import count_rules

    at = datetime.datetime.fromisoformat(AT)
    rules = SEGMENTS["nested_any_all_opposite_exclude"]
    _, samples = timed(lambda: count_rules(organisation, rules, at), repeat)
    return statistics.median(samples), percentile(samples, 0.95)


def time_duckdb(organisation: Any, repeat: int) -> dict:
    """The SQL PostgreSQL gets, run by DuckDB on the generated tables."""
    import datetime

    import duckdb

    from regulars.segments.engine import compile_rules

    at = datetime.datetime.fromisoformat(AT)
    results = {}
    with duckdb.connect(os.environ["BENCH_DUCKDB"], read_only=True) as duck:
        duck.execute("SET TimeZone = 'UTC'")
        for name, rules in SEGMENTS.items():
            query = compile_rules(organisation, rules, at).order_by().values("pk").query
            sql, params = query.sql_with_params()
            statement = f"SELECT COUNT(*) FROM ({sql.replace('%s', '?')}) AS members"
            params = [
                p.replace(tzinfo=None) - (p.utcoffset() or datetime.timedelta())
                if isinstance(p, datetime.datetime)
                else p
                for p in params
            ]
            members, samples = timed(
                lambda s=statement, p=params: duck.execute(s, p).fetchone()[0], repeat
            )
            results[name] = {
                "members": members,
                "p50_ms": statistics.median(samples),
                "p95_ms": percentile(samples, 0.95),
            }
    return results


if __name__ == "__main__":
    main()
