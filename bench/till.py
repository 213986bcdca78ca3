"""Till API benchmark: 50 tills completing sales that both earn and redeem points.

    .venv/bin/python bench/till.py --engine postgres   # PostgreSQL's local socket
    .venv/bin/python bench/till.py --engine postgres --postgres-via tcp   # 127.0.0.1:5432
    .venv/bin/python bench/till.py --engine sqlite
    .venv/bin/python bench/till.py --engine postgres --profile   # one sale, in-process
    .venv/bin/python bench/till.py --server-bin /srv/venv/bin   # served by another virtualenv

Builds a throwaway database, serves the app with granian (HTTP in Rust, the app in Python
threads; `--server gunicorn` for gunicorn's gthread workers, `--worker-class sync` for one
request per connection), keep-alive and persistent database connections, on
127.0.0.1 and drives it from one asyncio process (uvloop when installed) with
one raw keep-alive HTTP/1.1 connection per till, each POSTing /api/loyalty/sales with a
fresh Idempotency-Key (a line that earns 10 points and a line bought for 10 points). Two
load shapes, one after the other:

- open loop: every till sends at a fixed rate, `--rate` sales/s offered in total (one run
  per rate given); latency counts from the scheduled send time, so a slow server is not
  hidden by tills that wait (no coordinated omission);
- closed loop: every till sends its next sale as soon as the last one is answered
  (saturation: the most the server completes).

Each shape runs `--repeat` times (default 3), the shapes taking turns; the table gives the
median of each figure, as this machine's speed drifts from run to run, and every run's p99.
After each run it checks the ledger: every balance equals the sum of its entries, none is
negative, and the numbers of sales and entries match the completed sales. Prints a table,
writes bench/results/till-<engine>.json. Before serving and after the runs, one process
measures the work of a sale without a server (queries, its CPU time and its PostgreSQL
backend's); `--profile` prints where that time goes. From that work the table gives each
shape's throughput as a share of the machine's capacity (cores / CPU time of a sale) at
the time: what the runs reached of what the machine could do, as its speed drifts.
"""

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
POSTGRES_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
# The server reaches PostgreSQL on the same machine through its Unix socket, as a server
# beside its database would: no TCP on either side (measured: a fifth less CPU per sale
# in the app and in the database than over 127.0.0.1).
POSTGRES_SOCKET_DIR = Path("/var/run/postgresql")
CUSTOMERS = 500
START_POINTS = 1000
# Idempotency keys already stored, as in a till in use (they are kept for 24 hours).
EARLIER_KEYS = 10_000
# Sales already made, as in a till in use: walk-in sales (no customer, no points).
EARLIER_SALES = 10_000
WARM_UP_SECONDS = 2.0


def database_url(engine: str, postgres_via: str) -> str:
    if engine == "postgres":
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS regulars_bench_till")
            conn.execute("CREATE DATABASE regulars_bench_till")
        host = quote(str(POSTGRES_SOCKET_DIR), safe="") if postgres_via == "socket" else "127.0.0.1"
        return f"postgres://postgres@{host}/regulars_bench_till"
    path = ROOT / "var" / "bench-till.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def seed() -> dict:
    """Organisation, API token, items, an active program, customers with points."""
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from regulars.commerce.models import Item, Sale, SaleChannel, SaleLine
    from regulars.customers.models import Customer
    from regulars.loyalty.actions import (
        adjust_points,
        create_program,
        set_item_rule,
        update_program,
    )
    from regulars.loyalty.models import IdempotencyKey
    from regulars.orgs.actions import create_api_token, create_organisation

    org = create_organisation(slug="bench", name="Bench salon")
    token = create_api_token(organisation=org, name="bench")[1]
    program = create_program(organisation=org, name="Bench points")
    update_program(program=program, active=True)
    earn = Item.objects.create(organisation=org, number="100", name="Haircut", price_cents=45000)
    spend = Item.objects.create(organisation=org, number="400", name="Coffee", price_cents=3000)
    set_item_rule(
        program=program, item=earn, points_earned=10, point_price=0, purchasable_for_points=False
    )
    set_item_rule(
        program=program, item=spend, points_earned=0, point_price=10, purchasable_for_points=True
    )
    customers = Customer.objects.bulk_create(
        Customer(
            organisation=org,
            external_id=f"c{n}",
            email=f"c{n}@example.com",
            created_at=timezone.now(),
        )
        for n in range(CUSTOMERS)
    )
    for customer in customers:
        adjust_points(
            program=program, customer=customer, amount=START_POINTS, description="bench start"
        )
    # With no keys stored, PostgreSQL plans the look-up of a key as a scan of the table, and
    # a connection keeps that plan (a prepared statement) while the runs add thousands.
    IdempotencyKey.objects.bulk_create(
        IdempotencyKey(
            organisation=org,
            key=f"earlier-{n}",
            request_hash="0" * 64,
            response_status=201,
            response_body={},
            created_at=timezone.now(),
        )
        for n in range(EARLIER_KEYS)
    )
    # With none, PostgreSQL plans the foreign-key checks of a sale's inserts (a line's sale,
    # a ledger entry's line) as scans of the tables, and keeps those plans while they grow.
    sold_at = timezone.now()
    sales = Sale.objects.bulk_create(
        Sale(
            organisation=org,
            receipt_id=f"earlier-{n}",
            sold_at=sold_at,
            channel=SaleChannel.POS,
        )
        for n in range(EARLIER_SALES)
    )
    SaleLine.objects.bulk_create(
        SaleLine(
            organisation=org,
            sale=sale,
            line_number=1,
            sold_at=sold_at,
            channel=SaleChannel.POS,
            item=earn,
            quantity=1,
            unit_price_cents=earn.price_cents,
            amount_cents=earn.price_cents,
        )
        for sale in sales
    )
    # A database in use has planner statistics (autovacuum gathers them on PostgreSQL);
    # one made a moment ago has none, and PostgreSQL then plans a till's lookup of a
    # customer by id as a walk over the organisation's customers.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"token": token, "program": program.pk, "customers": [c.pk for c in customers]}


def sale_body(world: dict, customer_id: int) -> bytes:
    lines = [
        {"item_number": "100"},
        {"item_number": "400", "points_program_id": world["program"]},
    ]
    return json.dumps({"customer_id": customer_id, "lines": lines}).encode()


def work_per_sale(world: dict, show_profile: bool = False) -> dict:
    """In one process, no server: the statements of one sale and its CPU time.

    CPU time (median of 5 batches of 100 sales) depends much less on what else runs on the
    machine than throughput does. `show_profile` prints a cProfile of 200 more sales.
    """
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    headers = {"Authorization": f"Bearer {world['token']}"}
    sold = 0

    def sell() -> None:
        nonlocal sold
        response = client.post(
            "/api/loyalty/sales",
            sale_body(world, world["customers"][sold % CUSTOMERS]),
            content_type="application/json",
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.content
        sold += 1

    for _ in range(20):
        sell()
    executed: list[str] = []

    def record(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    # The executed text: the debug log has none for a prepared statement's later runs.
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(record):
        sell()
    ends = [q["sql"] for q in captured.captured_queries if q["sql"] in ("COMMIT", "ROLLBACK")]
    begins = [q["sql"] for q in captured.captured_queries if q["sql"] == "BEGIN"]
    statements = begins + executed + ends
    backend = [connection.connection.info.backend_pid] if connection.vendor == "postgresql" else []
    batches, database_batches = [], []
    for _ in range(5):
        started, database_started = time.process_time(), cpu_seconds(backend)
        for _ in range(100):
            sell()
        batches.append((time.process_time() - started) * 10)
        database_batches.append((cpu_seconds(backend) - database_started) * 10)
    if show_profile:
        for sql in statements:
            print(f"  {sql[:110]}")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(200):
            sell()
        profiler.disable()
        lines = int(os.environ.get("TILL_PROFILE_LINES", "40"))
        pstats.Stats(profiler).sort_stats(SORT).print_stats(lines)
    connection.close()
    return {
        "sales": sold,
        "statements": len(statements),
        "queries": sum(1 for s in statements if s.split()[0] not in TRANSACTION_CONTROL),
        "cpu_ms_median": round(statistics.median(batches), 2),
        "cpu_ms_batches": [round(b, 2) for b in batches],
        # The PostgreSQL backend serving this process (clock ticks of 10 ms: ±0.1 ms).
        "database_cpu_ms_median": round(statistics.median(database_batches), 2)
        if backend
        else None,
    }


SORT = os.environ.get("TILL_PROFILE_SORT", "cumulative")
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict, port: int, args: argparse.Namespace) -> subprocess.Popen:
    server = subprocess.Popen(server_command(port, args), env=env, cwd=ROOT)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"{args.server} did not start")


def server_command(port: int, args: argparse.Namespace) -> list[str]:
    """gunicorn (threads in Python) or granian (HTTP in Rust, the app in Python threads)."""
    if args.server == "granian":
        return [
            str(args.server_bin / "granian"),
            "--interface",
            "wsgi",
            "regulars.wsgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--blocking-threads",
            str(args.threads),
            "--log-level",
            "warning",
        ]
    return [
        str(args.server_bin / "gunicorn"),
        "regulars.wsgi",
        "--chdir",
        str(ROOT),
        "-b",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--keep-alive",
        "75",
        "--log-level",
        "warning",
    ]


def python_build(bin_dir: Path) -> str:
    """Version and binary of the interpreter in `bin_dir`: builds of one version differ."""
    describe = "import os, sys; print(sys.version, os.path.realpath(sys.executable))"
    found = subprocess.run(
        [str(bin_dir / "python"), "-c", describe], capture_output=True, text=True, check=True
    )
    return " ".join(found.stdout.split())


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def server_pids(server: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [server.pid, *map(int, children)]


def database_pids() -> list[int]:
    """PostgreSQL backends serving the benchmark database (kept open between requests)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


class Till:
    """One till: a keep-alive HTTP/1.1 connection sending one sale at a time."""

    def __init__(self, port: int, world: dict, customers: list[int]):
        self.port, self.world, self.customers = port, world, customers
        self.sent = 0
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def sell(self) -> int:
        body = sale_body(self.world, self.customers[self.sent % len(self.customers)])
        self.sent += 1
        head = (
            f"POST /api/loyalty/sales HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {self.world['token']}\r\n"
            f"Idempotency-Key: {uuid.uuid4()}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self.reader is not None
            self.writer.write(head.encode() + body)
            return await asyncio.wait_for(self._response(self.reader), 30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            return 0

    async def _response(self, reader: asyncio.StreamReader) -> int:
        status = int((await reader.readline()).split()[1])
        length, keep = 0, True
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                keep = False
        await reader.readexactly(length)
        if not keep:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def closed_loop(tills: list[Till], seconds: float) -> list[tuple[float, int]]:
    results: list[tuple[float, int]] = []
    stop_at = time.perf_counter() + seconds

    async def run(till: Till) -> None:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            status = await till.sell()
            results.append((time.perf_counter() - started, status))

    await asyncio.gather(*(run(t) for t in tills))
    return results


async def open_loop(tills: list[Till], seconds: float, rate: float) -> list[tuple[float, int]]:
    """Each till sends on its own fixed schedule; latency counts from the scheduled time.

    A till sends one sale at a time, so a slow answer delays its next sales: they count from
    when they were due. Sales still due when the run ends are not sent; they count as
    `UNSENT`, with the time they had waited (a lower bound) as their latency.
    """
    results: list[tuple[float, int]] = []
    interval = len(tills) / rate
    start = time.perf_counter() + 0.1
    stop_at = start + seconds
    phases = random.Random(1).sample(range(1000), len(tills))

    async def run(till: Till, phase: float) -> None:
        due = [start + (phase + n) * interval for n in range(int(seconds / interval) + 1)]
        for scheduled in (t for t in due if t < stop_at):
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if time.perf_counter() >= stop_at:
                results.append((time.perf_counter() - scheduled, UNSENT))
                continue
            status = await till.sell()
            results.append((time.perf_counter() - scheduled, status))

    await asyncio.gather(*(run(t, p / 1000) for t, p in zip(tills, phases, strict=True)))
    return results


UNSENT = -1


def summary(results: list[tuple[float, int]], elapsed: float) -> dict:
    ok = sorted(latency for latency, status in results if status == 201)
    # Percentiles over every sale that was due, unsent ones included (see open_loop).
    due = sorted(latency for latency, status in results if status in (201, UNSENT))
    statuses: dict[str, int] = {}
    for _, status in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1

    def percentile(p: float) -> float | None:
        return round(due[min(len(due) - 1, int(len(due) * p))] * 1000, 1) if due else None

    return {
        "seconds": round(elapsed, 2),
        "completed_sales": len(ok),
        "failed_requests": sum(1 for _, status in results if status not in (201, UNSENT)),
        "unsent": sum(1 for _, status in results if status == UNSENT),
        "statuses": statuses,
        "sales_per_second": round(len(ok) / elapsed, 1),
        "p50_ms": round(statistics.median(due) * 1000, 1) if due else None,
        "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
        "max_ms": round(due[-1] * 1000, 1) if due else None,
    }


def verify(expected_sales: int) -> dict:
    from django.db import connection

    from regulars.commerce.models import Sale
    from regulars.loyalty.ledger import ledger_differences
    from regulars.loyalty.models import Balance, LedgerEntry

    connection.close()
    ledger = {
        "sales_in_db": Sale.objects.filter(customer__isnull=False).count(),
        "expected_sales": expected_sales,
        "ledger_entries": LedgerEntry.objects.count(),
        "expected_entries": CUSTOMERS + 2 * expected_sales,
        "balance_differences": len(ledger_differences()),
        "negative_balances": Balance.objects.filter(points__lt=0).count(),
        "negative_entries": LedgerEntry.objects.filter(balance_after__lt=0).count(),
    }
    ledger["ok"] = (
        ledger["sales_in_db"] == ledger["expected_sales"]
        and ledger["ledger_entries"] == ledger["expected_entries"]
        and ledger["balance_differences"] == ledger["negative_balances"] == 0
        and ledger["negative_entries"] == 0
    )
    return ledger


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's when installed (a dev dependency): the tills then take less of the CPU the
    server shares with them."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def measure(args, world: dict, port: int, server: subprocess.Popen, sold: int) -> dict:
    """Every load shape `--repeat` times, the shapes taking turns; per shape the median of
    each figure (this machine's speed drifts from run to run) with every run kept."""
    tills = [Till(port, world, world["customers"][n :: args.clients]) for n in range(args.clients)]
    loop = new_event_loop()
    warm_up = loop.run_until_complete(closed_loop(tills, WARM_UP_SECONDS))
    completed = sold + sum(status == 201 for _, status in warm_up)
    shapes = [*(f"open-{rate:g}" for rate in args.rate), "closed"]
    runs: dict[str, list[dict]] = {shape: [] for shape in shapes}
    for _ in range(args.repeat):
        for shape in shapes:
            run = one_run(loop, tills, args, shape, server)
            completed += run["completed_sales"]
            run["ledger"] = verify(completed)
            runs[shape].append(run)
    for till in tills:
        till.close()
    loop.close()
    return {shape: medians(shape_runs) for shape, shape_runs in runs.items()}


def one_run(loop, tills: list, args, shape: str, server: subprocess.Popen) -> dict:
    load = [round(x, 2) for x in os.getloadavg()]
    backends = database_pids()
    server_cpu, own_cpu = cpu_seconds(server_pids(server)), resource.getrusage(0)
    database_cpu = cpu_seconds(backends)
    started = time.perf_counter()
    rate = float(shape.removeprefix("open-")) if shape != "closed" else None
    if rate is not None:
        results = loop.run_until_complete(open_loop(tills, args.seconds, rate))
    else:
        results = loop.run_until_complete(closed_loop(tills, args.seconds))
    elapsed = time.perf_counter() - started
    own = resource.getrusage(0)
    run = summary(results, elapsed)
    run["offered_per_second"] = rate
    run["load_average_before"] = load
    per_sale = 1000 / max(run["completed_sales"], 1)
    run["server_cpu_ms_per_sale"] = round(
        (cpu_seconds(server_pids(server)) - server_cpu) * per_sale, 2
    )
    run["database_cpu_ms_per_sale"] = (
        round((cpu_seconds(backends) - database_cpu) * per_sale, 2) if backends else None
    )
    run["load_generator_cpu_ms_per_sale"] = round(
        (own.ru_utime + own.ru_stime - own_cpu.ru_utime - own_cpu.ru_stime) * per_sale, 2
    )
    return run


MEDIAN_FIGURES = [
    "sales_per_second",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "server_cpu_ms_per_sale",
    "database_cpu_ms_per_sale",
    "load_generator_cpu_ms_per_sale",
]


def medians(runs: list[dict]) -> dict:
    row: dict = {"offered_per_second": runs[0]["offered_per_second"], "runs": runs}
    for figure in MEDIAN_FIGURES:
        values = [run[figure] for run in runs if run[figure] is not None]
        row[figure] = round(statistics.median(values), 2) if values else None
    row["p99_ms_of_each_run"] = [run["p99_ms"] for run in runs]
    row["unsent"] = sum(run["unsent"] for run in runs)
    row["failed_requests"] = sum(run["failed_requests"] for run in runs)
    row["ledger_ok"] = all(run["ledger"]["ok"] for run in runs)
    return row


def capacity(per_sale: dict) -> float:
    """Sales/s this machine's cores could complete doing nothing but the work of a sale
    measured in-process (app and database CPU): the reference the runs are set against,
    as its speed drifts by half within the hour."""
    cpu_ms = per_sale["cpu_ms_median"] + (per_sale["database_cpu_ms_median"] or 0)
    return round((os.cpu_count() or 1) * 1000 / cpu_ms, 1)


def print_table(report: dict) -> None:
    print(
        f"{'engine':<10}{'load':<10}{'offered/s':>10}{'sales/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'unsent':>7}{'errors':>7}{'app cpu':>8}{'db cpu':>7}{'of cap.':>8}"
        "  ledger  p99 of each run"
    )
    print(
        f"(medians of {report['repeat']} runs; latencies from the scheduled send time;"
        " cpu: ms per completed sale; of cap.: sales/s over the capacity below)"
    )
    for shape, run in report["runs"].items():
        offered = f"{run['offered_per_second']:g}" if run["offered_per_second"] else "max"
        print(
            f"{report['engine']:<10}{shape:<10}{offered:>10}{run['sales_per_second']:>9}"
            f"{run['p50_ms']!s:>9}{run['p95_ms']!s:>9}{run['p99_ms']!s:>9}"
            f"{run['unsent']:>7}{run['failed_requests']:>7}{run['server_cpu_ms_per_sale']:>8}"
            f"{run['database_cpu_ms_per_sale'] or '-':>7}{run['share_of_capacity']:>8}  "
            f"{'ok' if run['ledger_ok'] else 'VIOLATION':<8}{run['p99_ms_of_each_run']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--clients", type=int, default=50, help="tills (connections)")
    parser.add_argument(
        "--rate",
        type=float,
        nargs="+",
        default=[300],
        help="open loop: sales/s offered by all tills together; one run per rate",
    )
    parser.add_argument("--seconds", type=float, default=20, help="length of each run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each load shape")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=2, help="per worker")
    parser.add_argument(
        "--worker-class", default="gthread", help="gunicorn's; sync closes every connection"
    )
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    parser.add_argument(
        "--server-bin",
        type=Path,
        default=BIN,
        help="bin folder of the virtualenv that serves (default: this one's); the in-process"
        " measurements and the load still run in this interpreter",
    )
    parser.add_argument(
        "--postgres-via",
        choices=["socket", "tcp"],
        default="socket" if (POSTGRES_SOCKET_DIR / ".s.PGSQL.5432").exists() else "tcp",
        help="how the app reaches PostgreSQL: its local Unix socket, or 127.0.0.1:5432",
    )
    parser.add_argument("--profile", action="store_true", help="profile one sale in-process")
    parser.add_argument("--output", help="JSON path (default bench/results/till-ENGINE.json)")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": database_url(args.engine, args.postgres_via),
        "DATABASE_CONN_MAX_AGE": "600",
        "DJANGO_SETTINGS_MODULE": "regulars.settings",
        "DEBUG": "0",
    }
    os.environ.update(env)
    migrate = [sys.executable, "-m", "django", "migrate", "-v", "0"]
    subprocess.run(migrate, env=env, check=True, cwd=ROOT)
    world = seed()
    per_sale = work_per_sale(world, show_profile=args.profile)
    if args.profile:
        print(json.dumps(per_sale, indent=2))
        return
    port = free_port()
    server = serve(env, port, args)
    try:
        runs = measure(args, world, port, server, per_sale["sales"])
    finally:
        server.terminate()
        server.wait(10)
    per_sale_after = work_per_sale(world)
    capacities = [capacity(per_sale), capacity(per_sale_after)]
    for run in runs.values():
        run["share_of_capacity"] = round(run["sales_per_second"] / statistics.mean(capacities), 2)
    report = {
        "engine": args.engine,
        "clients": args.clients,
        "server": " ".join([args.server, *server_command(port, args)[1:]])
        + ", DATABASE_CONN_MAX_AGE=600",
        "server_python": python_build(args.server_bin),
        "postgres_via": args.postgres_via if args.engine == "postgres" else None,
        "cpu_count": os.cpu_count(),
        "repeat": args.repeat,
        "per_sale_in_process": per_sale,
        "per_sale_in_process_after": per_sale_after,
        "capacity_sales_per_second": capacities,
        "runs": runs,
    }
    out = Path(args.output or ROOT / "bench" / "results" / f"till-{args.engine}.json").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(
        f"one sale in-process: {per_sale['queries']} queries ({per_sale['statements']} "
        f"statements with BEGIN/COMMIT/SAVEPOINT), {per_sale['cpu_ms_median']} ms CPU"
        f" + {per_sale['database_cpu_ms_median'] or '-'} ms in the database"
    )
    print(
        f"capacity: {capacities[0]} sales/s before the runs, {capacities[1]} after"
        f" ({os.cpu_count()} cores / CPU time of one sale in-process)"
    )
    print(f"wrote {out}")
    sys.exit(0 if all(run["ledger_ok"] for run in runs.values()) else 1)


if __name__ == "__main__":
    main()
