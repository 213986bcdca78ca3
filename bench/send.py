"""Benchmark: a campaign to N generated recipients, end to end, into an SMTP sink.

    .venv/bin/python bench/send.py --recipients 100000 [--processes 1 --threads 16]

As a user runs it: `regulars worker --threads 16` (one process keeping sixteen SMTP
sessions busy from one thread; `--processes N` runs N such processes) is already running
when the campaign is sent. On SQLite one process with many sessions costs the least CPU
per message: each select round's answers are marked sent in one commit, and a second
process adds write-lock waits. Phases, all timed: freeze the recipient list (segment
rules → CampaignRecipient rows), render + queue (merge codes → ledger rows, committed
chunk by chunk), deliver (the worker claims each chunk as soon as it is committed, so
delivery overlaps queueing). End to end is from the start of freezing until the sink has
accepted the last message and the ledger says sent.
The sink is aiosmtpd in `--sink-processes` separate processes sharing one port
(SO_REUSEPORT), the stand-in for a mail server; they count messages and Message-IDs. By
default its session reads DATA in one piece on uvloop (see `sink_session_class`);
`--stock-sink` runs aiosmtpd's own session on asyncio's loop, which costs several times
the CPU per message.
Beside it, a plain single-connection smtplib loop sends already-built messages to the
same sink (the ratio is ours ÷ plain). CPU seconds of each part (render + queue, the
delivering processes, the sink) are reported per message: on a machine shared with other
work they say more than the wall clock, and their sum bounds the rate two cores can reach.
Peak memory: the largest resident set of the benchmark process during the campaign (its
setup of the customers not counted) and of a worker process.
Prints a table and writes JSON (default bench/results/send-<N>.json). Uses a throwaway
SQLite database, or with DATABASE_URL=postgres://… a throwaway database on that server.
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import re
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MESSAGE_ID = re.compile(rb"^Message-ID: (\S+)", re.MULTILINE | re.IGNORECASE)


def sink_session_class(stock: bool):
    """The SMTP session class of the sink: aiosmtpd's own, or with cheaper DATA and paths.

    The cheaper one is still aiosmtpd's session (commands, replies, PIPELINING, limits);
    it reads a message's DATA up to the ending dot in one piece instead of line by line and
    takes a plain `<local@domain>` path without the full RFC 5322 address parser (anything
    else goes through it). A real mail server's DATA reading costs a few microseconds;
    aiosmtpd's per-line loop costs more than the rest of the sink together, and the
    benchmark measures the sender, not the sink.
    """
    from aiosmtpd.smtp import MISSING, SMTP, syntax

    if stock:
        return SMTP
    simple_path = re.compile(r"<([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+)>(.*)\Z", re.S)

    class WholeDataSMTP(SMTP):
        # The stream reader's buffer limit: a message is read in one piece. Command lines
        # keep their limits (command_size_limits).
        line_length_limit = 1 << 22

        def _getaddr(self, arg):
            match = simple_path.match(arg.lstrip()) if arg else None
            if match is None:
                return super()._getaddr(arg)
            address = match.group(1)
            if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
                return None, None
            return address, match.group(2)

        @syntax("DATA")
        async def smtp_DATA(self, arg):
            if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
                return
            if not self.envelope.rcpt_tos:
                await self.push("503 Error: need RCPT command")
                return
            if arg:
                await self.push("501 Syntax: DATA")
                return
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            # Up to the first ".\r\n" that starts a line (a line ending in a dot is read past).
            data = bytearray(await self._reader.readuntil(b"\r\n"))
            while data != b".\r\n" and not data.endswith(b"\r\n.\r\n"):
                data += await self._reader.readuntil(b".\r\n")
            data = bytes(data[:-3])  # the ending ".\r\n" (the message keeps its last CRLF)
            if self.data_size_limit and len(data) > self.data_size_limit:
                self._set_post_data_state()
                await self.push("552 Error: Too much mail data")
                return
            # RFC 5321 4.5.2: undo the client's doubling of a line's leading dot.
            content = (data[1:] if data.startswith(b".") else data).replace(b"\r\n..", b"\r\n.")
            self.envelope.content = self.envelope.original_content = content
            status = await self._call_handler_hook("DATA")
            self._set_post_data_state()
            await self.push("250 OK" if status is MISSING else status)

    return WholeDataSMTP


def run_sink(port: int, total, replies, ready, pipelining: bool, stock: bool) -> None:
    """One SMTP sink process (aiosmtpd, on uvloop unless `stock`), sharing the port with its
    siblings (SO_REUSEPORT).

    Counts messages in the shared `total`; on any message from `replies` it answers with
    the Message-IDs it has seen, so the parent can count distinct ones across processes.
    """
    import asyncio

    session_class = sink_session_class(stock)
    seen: list[bytes] = []

    class Counter:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            # Mail servers offer PIPELINING (RFC 2920); aiosmtpd handles it but does not say so.
            session.host_name = hostname
            return [*responses[:-1], "250-PIPELINING", responses[-1]] if pipelining else responses

        async def handle_DATA(self, server, session, envelope):
            match = MESSAGE_ID.search(envelope.content)
            seen.append(match.group(1) if match else b"")
            with total.get_lock():
                total.value += 1
            return "250 OK"

    def answer() -> None:
        while True:
            replies.recv()
            replies.send(list(seen))

    threading.Thread(target=answer, daemon=True).start()
    if stock:
        loop = asyncio.new_event_loop()
    else:
        import uvloop

        loop = uvloop.new_event_loop()
    handler = Counter()
    loop.run_until_complete(
        loop.create_server(
            lambda: session_class(handler, hostname="sink.local"),
            "127.0.0.1",
            port,
            reuse_port=True,
        )
    )
    ready.set()
    loop.run_forever()


class Sink:
    """`processes` aiosmtpd processes on one port; the stand-in for a mail server."""

    def __init__(self, port: int, processes: int, pipelining: bool, stock: bool = False):
        self.total = multiprocessing.Value("l", 0)
        self.pipes = []
        self.processes = []
        for _ in range(processes):
            ours, theirs = multiprocessing.Pipe()
            ready = multiprocessing.Event()
            process = multiprocessing.Process(
                target=run_sink,
                args=(port, self.total, theirs, ready, pipelining, stock),
                daemon=True,
            )
            process.start()
            ready.wait(10)
            self.pipes.append(ours)
            self.processes.append(process)

    def message_ids(self) -> list[bytes]:
        found: list[bytes] = []
        for pipe in self.pipes:
            pipe.send("report")
            found += pipe.recv()
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU the sink processes have used so far."""
        return sum(process_cpu_seconds(process.pid) for process in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_memory_mb(pid: int | str = "self") -> float:
    """A process's peak resident set since it started or since `reset_peak_memory`."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_memory() -> None:
    """Start the peak over (Linux clear_refs), so setup work is not counted."""
    Path("/proc/self/clear_refs").write_text("5")


@contextlib.contextmanager
def throwaway_database():
    """With DATABASE_URL=postgres://…: a new database on that server for this run, dropped
    after it (DATABASE_URL points at it meanwhile). Otherwise nothing: SQLite in workdir."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield
        return
    import psycopg

    name = f"bench_send_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as server:
        server.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = f"{url.rsplit('/', 1)[0]}/{name}"
    try:
        yield
    finally:
        with psycopg.connect(url, autocommit=True) as server:
            server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def setup_django(workdir: str, port: int) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ["REGULARS_VAR_DIR"] = workdir
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.smtp.EmailBackend"
    os.environ["EMAIL_HOST"] = "127.0.0.1"
    os.environ["EMAIL_PORT"] = str(port)
    os.environ["DJANGO_SETTINGS_MODULE"] = "regulars.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_customers(org, count: int) -> None:
    from django.utils import timezone

    from regulars.customers.models import Customer

    now = timezone.now()
    batch = []
    for n in range(count):
        batch.append(
            Customer(
                organisation=org,
                first_name=f"Kunde{n}",
                last_name="Bench",
                email=f"kunde{n}@bench.example",
                email_consent=n % 10 != 0,  # every tenth has not signed up: skipped
                created_at=now,
            )
        )
        if len(batch) == 5000:
            Customer.objects.bulk_create(batch)
            batch = []
    Customer.objects.bulk_create(batch)


class Workers:
    """`regulars worker --processes N`, started before the campaign as on a real deployment."""

    def __init__(self, processes: int, threads: int, batch: int):
        options = ["--processes", str(processes), "--threads", str(threads), "--batch", str(batch)]
        command = [sys.executable, "-m", "regulars.cli", "worker", *options, "--poll", "0.5"]
        self.worker = subprocess.Popen(command, cwd=ROOT)
        wait_until_running()
        pid = self.worker.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        self.pids = [pid, *map(int, children)]

    def cpu_seconds(self) -> float:
        return sum(process_cpu_seconds(pid) for pid in self.pids)

    def stop(self) -> float:
        """Stop them (SIGTERM: what is claimed is finished); returns the largest peak memory."""
        peak = max(peak_memory_mb(pid) for pid in self.pids)
        self.worker.terminate()
        self.worker.wait(60)
        return peak


def wait_until_running() -> None:
    """Until each registered periodic task has run once: the workers' startup is done."""
    from regulars.messaging.models import PeriodicRun
    from regulars.messaging.worker import registered

    names = list(registered())
    deadline = time.monotonic() + 60
    while PeriodicRun.objects.filter(name__in=names).count() < len(names):
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not start")
        time.sleep(0.1)
    time.sleep(1)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_sent(sink: "Sink", campaign, queued: int) -> None:
    """Until the sink has accepted `queued` messages and the ledger has them all sent."""
    from regulars.messaging.models import Message

    deadline = time.monotonic() + 3600
    while sink.total.value < queued and time.monotonic() < deadline:
        time.sleep(0.005)
    sent = Message.objects.filter(source=f"campaign:{campaign.pk}", status="sent")
    while sent.count() < queued and time.monotonic() < deadline:
        time.sleep(0.005)


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_campaign(org, sink: Sink, workers: Workers) -> dict:
    """Freeze, render + queue while the workers deliver; wall time and CPU of each part."""
    from regulars.messaging import campaigns

    campaign = campaigns.create_campaign(
        organisation=org,
        description="Benchmark",
        dispatch="email",
        subject="News from the salon",
        body=(
            "<h1>Hello #FirstName#</h1><p>Our spring offers are here. "
            '<a href="https://salon.example/offers">See them</a>.</p>'
            "<p>#DirectLink:front#</p>"
        ),
        rules={"match": "all", "criteria": [{"type": "consent", "channel": "email"}]},
    )
    workers_before, sink_before = workers.cpu_seconds(), sink.cpu_seconds()
    started, cpu_started = time.perf_counter(), cpu_self()
    frozen = campaigns.generate_recipients(campaign=campaign)
    t_freeze = time.perf_counter()
    queued = campaigns.distribute(campaign=campaign).queued
    t_queue, cpu_queued = time.perf_counter(), cpu_self()
    wait_until_sent(sink, campaign, queued)
    t_deliver = time.perf_counter()
    cpu_workers, cpu_sink = workers.cpu_seconds(), sink.cpu_seconds()
    return {
        "recipients": frozen,
        "queued": queued,
        "delivered": sent_count(campaign),
        "freeze_s": t_freeze - started,
        "render_queue_s": t_queue - t_freeze,
        "deliver_after_queueing_s": t_deliver - t_queue,
        "render_queue_deliver_s": t_deliver - t_freeze,
        "total_s": t_deliver - started,
        "cpu_freeze_render_queue_s": cpu_queued - cpu_started,
        "cpu_deliver_s": cpu_workers - workers_before,
        "cpu_sink_s": cpu_sink - sink_before,
        "campaign": campaign,
    }


def sent_count(campaign) -> int:
    from regulars.messaging.models import Message

    return Message.objects.filter(source=f"campaign:{campaign.pk}", status="sent").count()


def plain_smtplib(port: int, sink: Sink, campaign, count: int) -> dict:
    """The same messages, built beforehand, through smtplib in a loop on one connection."""
    from regulars.messaging.compose import build_email
    from regulars.messaging.models import Message

    rows = Message.objects.filter(source=f"campaign:{campaign.pk}", status="sent")[:count]
    built = [
        (m.to_address, build_email(m).message().as_bytes(linesep="\r\n")) for m in rows.iterator()
    ]
    started, cpu_started, sink_started = time.perf_counter(), cpu_self(), sink.cpu_seconds()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to_address, data in built:
            smtp.sendmail("bench@localhost", [to_address], data)
    return {
        "s": time.perf_counter() - started,
        "cpu_client_s": cpu_self() - cpu_started,
        "cpu_sink_s": sink.cpu_seconds() - sink_started,
    }


def per_message_ms(seconds: float, count: int) -> float:
    return round(1000 * seconds / max(count, 1), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=1, help="regulars worker --processes")
    parser.add_argument("--threads", type=int, default=16, help="SMTP sessions per process")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--sink-processes", type=int, default=2, help="SMTP sink processes")
    parser.add_argument(
        "--no-pipelining", action="store_true", help="the sink does not offer PIPELINING"
    )
    parser.add_argument(
        "--stock-sink",
        action="store_true",
        help="aiosmtpd's own SMTP session on asyncio's loop (line-by-line DATA)",
    )
    parser.add_argument(
        "--plain", type=int, default=20000, help="messages in the smtplib loop (rates compared)"
    )
    parser.add_argument("--output", help="JSON file (default bench/results/send-<N>.json)")
    args = parser.parse_args()

    port = free_port()
    sink = Sink(port, args.sink_processes, pipelining=not args.no_pipelining, stock=args.stock_sink)
    database = os.environ.get("DATABASE_URL", "sqlite").split(":")[0]
    with tempfile.TemporaryDirectory() as workdir, throwaway_database():
        setup_django(workdir, port)
        from regulars.orgs.actions import create_organisation

        org = create_organisation(slug="bench", name="Bench Salon")
        t0 = time.perf_counter()
        make_customers(org, args.recipients)
        setup_s = time.perf_counter() - t0
        workers = Workers(args.processes, args.threads, args.batch)
        reset_peak_memory()
        try:
            result = run_campaign(org, sink, workers)
        finally:
            worker_peak_mb = workers.stop()
        # Before the plain loop, which holds its pre-built messages in memory.
        campaign_peak_mb = peak_memory_mb()
        received = sink.total.value
        ids = sink.message_ids()
        plain_count = min(args.plain, result["delivered"])
        campaign = result.pop("campaign")
        plain = plain_smtplib(port, sink, campaign, plain_count)
        from django.db import connection

        connection.close()
    sink.stop()

    delivered = result["delivered"]
    rate = delivered / result["total_s"]
    plain_rate = plain_count / plain["s"]
    cpu_ms = {
        "render_queue": per_message_ms(result["cpu_freeze_render_queue_s"], delivered),
        "deliver": per_message_ms(result["cpu_deliver_s"], delivered),
        "sink": per_message_ms(result["cpu_sink_s"], delivered),
    }
    report = {
        "customers": args.recipients,
        "worker": f"regulars worker --processes {args.processes} --threads {args.threads}"
        f" --batch {args.batch}",
        "processes": args.processes,
        "threads_per_process": args.threads,
        "sink_processes": args.sink_processes,
        "sink_offers_pipelining": not args.no_pipelining,
        "sink": "aiosmtpd (stock session, asyncio)"
        if args.stock_sink
        else "aiosmtpd (whole-DATA reads, uvloop)",
        "setup_customers_s": round(setup_s, 2),
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()},
        "sink_received": received,
        "sink_distinct_message_ids": len(set(ids)),
        "end_to_end_msg_per_s": round(rate, 1),
        "render_queue_deliver_msg_per_s": round(delivered / result["render_queue_deliver_s"], 1),
        "plain_smtplib_msg_per_s": round(plain_rate, 1),
        "ratio_vs_plain": round(rate / plain_rate, 2),
        "cpu_ms_per_message": {**cpu_ms, "total": round(sum(cpu_ms.values()), 3)},
        "plain_cpu_ms_per_message": {
            "client": per_message_ms(plain["cpu_client_s"], plain_count),
            "sink": per_message_ms(plain["cpu_sink_s"], plain_count),
        },
        # What two cores could do if this run's CPU per message were all that mattered.
        "cpu_bound_msg_per_s_on_2_cores": round(2000 / sum(cpu_ms.values()), 1),
        "peak_memory_mb": round(campaign_peak_mb, 1),
        "peak_memory_worker_mb": round(worker_peak_mb, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "database": database,
    }
    default = ROOT / "bench" / "results" / f"send-{args.recipients}.json"
    out = Path(args.output) if args.output else default
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    width = max(len(k) for k in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
