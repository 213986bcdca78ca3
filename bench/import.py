"""Import benchmark: seconds and peak memory of importing generated files, per engine.

    .venv/bin/python bench/import.py --engine sqlite --customers 100000
    .venv/bin/python bench/import.py --engine postgresql --customers 100000 --repeat 3
    .venv/bin/python bench/import.py --engine sqlite --customers 1000000 --kinds generator

Each measurement runs in a fresh child process against a fresh throwaway database (a
SQLite file under --workdir, or the PostgreSQL database `bench_regulars`; never the
development database). Peak memory is the child's maximum resident set size (wait4).
Measured: the demo-data export that writes the files, the real import path
(`regulars.imports.actions.import_file`) per kind, a reference load of the same customer
rows into a bare table (executemany / COPY) to give a machine-independent ratio, and the
bulk generator (`regulars demo-data`). Prints a table; writes bench/results/import-<engine>.json.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TODAY = "2026-06-01"  # a fixed anchor: the same files on every run
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "bench_regulars"
KINDS = ("customers", "sales", "bookings", "tickets", "individuals")


# --- the parent: orchestration ------------------------------------------------------------


def main() -> None:
    args = parse_args()
    if args.child:
        return child(args)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    kinds = args.kinds.split(",")
    results: dict = {"engine": args.engine, "customers": args.customers, "runs": []}
    files = workdir / f"files-{args.customers}"
    if set(kinds) & {*KINDS, "reference"}:
        results["runs"].append(measure("export files", [], args, 1, export_argv(args, files)))
    if "reference" in kinds:
        argv = child_argv("reference", args, file=files / "customers.csv")
        results["runs"].append(
            measure("reference: bare-table load of customers", [], args, 3, argv)
        )
    for kind in (k for k in KINDS if k in kinds):
        argv = child_argv("import", args, file=files / f"{kind}.csv", kind=kind)
        results["runs"].append(
            measure(f"import {kind}", prerequisites(kind, files, args), args, args.repeat, argv)
        )
    if "generator" in kinds:
        argv = [PYTHON, "-m", "regulars.cli", "demo-data", "--org", "bench", "--quiet",
                "--customers", str(args.customers), "--today", TODAY]  # fmt: skip
        results["runs"].append(measure("bulk generator (demo-data)", [], args, args.repeat, argv))
    add_ratios(results)
    report(results)
    out = ROOT / "bench" / "results" / f"import-{args.engine}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merged(out, results), indent=2) + "\n")
    print(f"\nwritten {out.relative_to(ROOT)}")


def merged(path: Path, results: dict) -> dict:
    """Earlier results of other sizes and measurements, with this run's replacing their own."""
    for run in results["runs"]:
        run["customers"] = results["customers"]
        run["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    new = {(run["customers"], run["label"]) for run in results["runs"]}
    earlier = json.loads(path.read_text())["runs"] if path.exists() else []
    kept = [run for run in earlier if (run.get("customers"), run["label"]) not in new]
    return {
        "engine": results["engine"],
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "runs": sorted(kept + results["runs"], key=lambda run: run["customers"]),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument(
        "--kinds",
        default="reference,customers,sales,generator",
        help="comma-separated: reference, generator, customers, sales, bookings, tickets, "
        "individuals",
    )
    parser.add_argument("--workdir", default="/tmp/regulars-bench")
    parser.add_argument("--pg-database", default=PG_BENCH_DB, help="throwaway, dropped first")
    parser.add_argument("--child", choices=("import", "reference"), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    return parser.parse_args()


def export_argv(args: argparse.Namespace, files: Path) -> list[str]:
    return [PYTHON, "-m", "regulars.cli", "demo-data", "--export-dir", str(files), "--quiet",
            "--customers", str(args.customers), "--today", TODAY]  # fmt: skip


def child_argv(mode: str, args: argparse.Namespace, file: Path, kind: str = "") -> list[str]:
    argv = [PYTHON, __file__, "--child", mode, "--engine", args.engine, "--file", str(file)]
    return argv + (["--kind", kind] if kind else [])


def prerequisites(kind: str, files: Path, args: argparse.Namespace) -> list[list[str]]:
    """Sales, bookings, tickets and individuals need their customers imported first."""
    if kind == "customers":
        return []
    return [child_argv("import", args, file=files / "customers.csv", kind="customers")]


def measure(label: str, setup: list[list[str]], args, repeat: int, argv: list[str]) -> dict:
    """Median seconds and peak RSS of `argv` over `repeat` fresh databases."""
    samples = []
    for _ in range(repeat):
        env = fresh_database(args)
        for step in setup:
            run_child(step, env)
        samples.append(run_child(argv, env))
    run = {
        "label": label,
        "runs": repeat,
        "seconds": round(statistics.median(s["seconds"] for s in samples), 2),
        "peak_rss_mib": round(max(s["peak_rss_mib"] for s in samples), 1),
        "cpu_seconds": round(statistics.median(s["cpu_seconds"] for s in samples), 1),
        "load_average_at_end": round(samples[-1]["load_average"], 1),
        "rows": samples[-1].get("rows"),
    }
    print(f"  {label}: {run['seconds']} s, {run['cpu_seconds']} s CPU, {run['peak_rss_mib']} MiB")
    return run


def run_child(argv: list[str], env: dict) -> dict:
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{output}")
    result = {
        "seconds": seconds,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        # CPU of the child and its own children: comparable on a busy shared machine.
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "load_average": os.getloadavg()[0],
    }
    last = output.strip().splitlines()[-1] if output.strip() else ""
    # The child times its own work, without interpreter and Django start-up: JSON from
    # the import children, "customer 5,000, sale_line 46,979, … in 6.2 s" from demo-data.
    if last.startswith("{"):
        child_result = json.loads(last)
    elif match := re.search(r" in ([\d.]+) s$", last):
        counts = re.findall(r"(\w+) ([\d,]+)", last[: match.start()])
        child_result = {
            "seconds": float(match.group(1)),
            "rows": {name: int(count.replace(",", "")) for name, count in counts},
        }
    else:
        return result
    result["rows"] = child_result.get("rows")
    result["seconds"] = child_result.get("seconds", seconds)
    return result


def fresh_database(args: argparse.Namespace) -> dict:
    """Environment of a child that uses a new, migrated database with the org 'bench'."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="regulars.settings")
    if args.engine == "sqlite":
        path = Path(args.workdir) / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{args.pg_database}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{args.pg_database}"')
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{args.pg_database}"
    subprocess.run(
        [PYTHON, "-m", "regulars.cli", "migrate", "--skip-checks", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    subprocess.run(
        [PYTHON, "-c", "import django; django.setup(); from regulars.orgs.actions import "
         "create_organisation as c; c(slug='bench', name='Bench')"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    return env


def add_ratios(results: dict) -> None:
    reference = next((r for r in results["runs"] if r["label"].startswith("reference")), None)
    for run in results["runs"]:
        if reference and reference["seconds"]:
            run["ratio_to_reference"] = round(run["seconds"] / reference["seconds"], 1)


def report(results: dict) -> None:
    print(f"\n{results['engine']}, {results['customers']:,} customers")
    header = f"{'measurement':<42} {'rows':>24} {'seconds':>9} {'CPU s':>7} {'peak MiB':>9}"
    print(f"{header} {'ratio':>6} {'load':>5}")
    for run in results["runs"]:
        rows = rows_text(run.get("rows"))
        ratio = run.get("ratio_to_reference", "")
        seconds, cpu, peak = run["seconds"], run.get("cpu_seconds", ""), run["peak_rss_mib"]
        load = run.get("load_average_at_end", "")
        figures = f"{seconds:>9} {cpu!s:>7} {peak:>9} {ratio!s:>6} {load!s:>5}"
        print(f"{run['label']:<42} {rows:>24} {figures}")


def rows_text(rows: int | dict | None) -> str:
    if isinstance(rows, dict):  # generator and export: customers and sale lines
        customers = rows.get("customer", rows.get("customers", 0))
        lines = rows.get("sale_line", rows.get("sales", 0))
        return f"{customers:,} + {lines:,} lines"
    return f"{rows:,}" if isinstance(rows, int) else ""


# --- the children: one measured piece of work each ----------------------------------------


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    started = time.monotonic()
    rows = import_file(args) if args.child == "import" else reference_load(args)
    print(json.dumps({"seconds": round(time.monotonic() - started, 3), "rows": rows}))


def import_file(args: argparse.Namespace) -> int:
    from regulars.imports.actions import import_file as run_import
    from regulars.orgs.models import Organisation

    report = run_import(
        organisation=Organisation.objects.get(slug="bench"), kind=args.kind, file=args.file
    )
    if not report.ok:
        sys.exit(f"import reported errors: {report.summary()}")
    return report.rows


def reference_load(args: argparse.Namespace) -> int:
    """The same customer rows into a bare table of text columns: the floor for an import."""
    import csv

    from django.db import connection, transaction

    with open(args.file, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    columns = ", ".join(f'"{name}" text' for name in header)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_reference ({columns})")
        raw = cursor.cursor
        with open(args.file, newline="", encoding="utf-8") as handle:
            if connection.vendor == "postgresql":
                with raw.copy("COPY bench_reference FROM STDIN (FORMAT csv, HEADER)") as copy:
                    while block := handle.read(1 << 20):
                        copy.write(block)
            else:
                reader = csv.reader(handle)
                next(reader)
                marks = ", ".join("?" * len(header))
                raw.executemany(f"INSERT INTO bench_reference VALUES ({marks})", reader)
        cursor.execute("SELECT count(*) FROM bench_reference")
        return cursor.fetchone()[0]


if __name__ == "__main__":
    main()
