"""Till API benchmark: concurrent clients completing sales that both earn and redeem points.

    .venv/bin/python bench/till.py --engine postgres   # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python bench/till.py --engine sqlite

Builds a throwaway database, serves the app with gunicorn (threads) on 127.0.0.1, runs
`--clients` clients for `--seconds`, each POSTing /api/loyalty/sales with a fresh
Idempotency-Key (a line that earns 10 points and a line bought for 10 points), then checks
the ledger: every balance equals the sum of its entries, none is negative, and the number
of entries matches the completed sales. Prints a table, writes bench/results/till-<engine>.json.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
POSTGRES_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
CUSTOMERS = 500
START_POINTS = 1000


def database_url(engine: str) -> str:
    if engine == "postgres":
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS regulars_bench_till")
            conn.execute("CREATE DATABASE regulars_bench_till")
        return "postgres://postgres@127.0.0.1:5432/regulars_bench_till"
    path = ROOT / "var" / "bench-till.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def seed() -> dict:
    """Organisation, API token, items, an active program, customers with points."""
    import django

    django.setup()
    from regulars.commerce.models import Item
    from regulars.customers.models import Customer
    from regulars.loyalty.actions import (
        adjust_points,
        create_program,
        set_item_rule,
        update_program,
    )
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
    from django.utils import timezone

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
    return {"token": token, "program": program.pk, "customers": [c.pk for c in customers]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "regulars.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/api/loyalty/programs", timeout=10)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def client(n, url, world, stop_at, clients, results):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {world['token']}"
    mine = world["customers"][n::clients]
    i = 0
    while time.perf_counter() < stop_at:
        body = {
            "customer_id": mine[i % len(mine)],
            "lines": [
                {"item_number": "100"},
                {"item_number": "400", "points_program_id": world["program"]},
            ],
        }
        started = time.perf_counter()
        try:
            response = session.post(
                url, json=body, headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=30
            )
            status = response.status_code
        except requests.RequestException:
            status = 0
        results.append((time.perf_counter() - started, status))
        i += 1


def verify(expected_sales: int) -> dict:
    from django.db import connection

    connection.close()
    from regulars.commerce.models import Sale
    from regulars.loyalty.ledger import ledger_differences
    from regulars.loyalty.models import Balance, LedgerEntry

    entries = LedgerEntry.objects.count()
    return {
        "sales_in_db": Sale.objects.count(),
        "expected_sales": expected_sales,
        "ledger_entries": entries,
        "expected_entries": CUSTOMERS + 2 * expected_sales,
        "balance_differences": len(ledger_differences()),
        "negative_balances": Balance.objects.filter(points__lt=0).count(),
        "negative_entries": LedgerEntry.objects.filter(balance_after__lt=0).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--output", help="JSON path (default bench/results/till-ENGINE.json)")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": database_url(args.engine),
        "DJANGO_SETTINGS_MODULE": "regulars.settings",
        "DEBUG": "0",
    }
    os.environ.update(env)
    subprocess.run([str(BIN / "regulars"), "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    world = seed()
    load_before = [round(x, 2) for x in os.getloadavg()]
    port = free_port()
    server = serve(env, port, args.workers, args.threads)
    results: list[tuple[float, int]] = []
    try:
        url = f"http://127.0.0.1:{port}/api/loyalty/sales"
        stop_at = time.perf_counter() + args.seconds
        started = time.perf_counter()
        threads = [
            threading.Thread(target=client, args=(n, url, world, stop_at, args.clients, results))
            for n in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(10)

    ok = [latency for latency, status in results if status == 201]
    latencies = sorted(ok)
    report = {
        "engine": args.engine,
        "clients": args.clients,
        "server": f"gunicorn -w {args.workers} --threads {args.threads}",
        "seconds": round(elapsed, 2),
        "completed_sales": len(ok),
        "failed_requests": len(results) - len(ok),
        "statuses": {
            str(s): sum(1 for _, st in results if st == s) for s in {s for _, s in results}
        },
        "sales_per_second": round(len(ok) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
        "cpu_count": os.cpu_count(),
        # The machine is shared: the load before the run says how much CPU was left.
        "load_average_before": load_before,
        "ledger": verify(len(ok)),
    }
    ledger = report["ledger"]
    report["ledger_ok"] = (
        ledger["sales_in_db"] == ledger["expected_sales"]
        and ledger["ledger_entries"] == ledger["expected_entries"]
        and ledger["balance_differences"] == ledger["negative_balances"] == 0
        and ledger["negative_entries"] == 0
    )
    out = Path(args.output or ROOT / "bench" / "results" / f"till-{args.engine}.json").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"{'engine':<10}{'clients':>8}{'sales':>8}{'sales/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'errors':>8}  ledger"
    )
    print(
        f"{args.engine:<10}{args.clients:>8}{len(ok):>8}{report['sales_per_second']:>9}"
        f"{report['p50_ms']:>8}{report['p99_ms']:>8}{report['failed_requests']:>8}  "
        f"{'ok' if report['ledger_ok'] else 'VIOLATION'}"
    )
    print(f"wrote {out}")
    sys.exit(0 if report["ledger_ok"] else 1)


if __name__ == "__main__":
    main()
