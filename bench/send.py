"""Benchmark: a campaign to N generated recipients, end to end, into an SMTP sink.

    .venv/bin/python bench/send.py --recipients 100000 [--threads 4]

Phases, all timed: freeze the recipient list (segment rules → CampaignRecipient rows),
render + queue (merge codes → ledger rows), deliver (`regulars worker --once` processes,
each with threads holding one SMTP connection, claiming batches under the ledger's locks).
The sink is aiosmtpd in a separate process; it counts messages and distinct Message-IDs.
Beside it, a plain single-connection smtplib loop sends the same number of already-built
messages to the same sink (the ratio is ours ÷ plain), and four such loops at once show what
the sink itself can take. Peak memory is the benchmark process's maximum resident set.
Prints a table and writes bench/results/send-<N>.json. Uses a throwaway SQLite database
unless DATABASE_URL is set.
"""

import argparse
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


def run_sink(port: int, total, unique, ready) -> None:
    """The SMTP sink process: accept everything, count messages and distinct Message-IDs."""
    from aiosmtpd.controller import Controller

    seen: set[bytes] = set()

    class Counter:
        async def handle_DATA(self, server, session, envelope):
            match = MESSAGE_ID.search(envelope.content)
            total.value += 1
            if match and match.group(1) not in seen:
                seen.add(match.group(1))
                unique.value += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def deliver_in_processes(processes: int, threads: int, batch: int) -> int:
    """`regulars worker --once` in several processes at once, as on a real deployment."""
    command = [sys.executable, "-m", "regulars.cli", "worker", "--once"]
    options = ["--threads", str(threads), "--batch", str(batch)]
    workers = [
        subprocess.Popen([*command, *options], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(processes)
    ]
    return sum(int(worker.communicate()[0].split()[1]) for worker in workers)


def run_campaign(org, processes: int, threads: int, batch: int) -> dict:
    from regulars.messaging import campaigns, delivery

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
    started = time.perf_counter()
    frozen = campaigns.generate_recipients(campaign=campaign)
    t_freeze = time.perf_counter()
    queued = campaigns.distribute(campaign=campaign).queued
    t_queue = time.perf_counter()
    if processes > 1:
        delivered = deliver_in_processes(processes, threads, batch)
    else:
        delivered = delivery.deliver_all(limit=batch, threads=threads)
    t_deliver = time.perf_counter()
    return {
        "recipients": frozen,
        "queued": queued,
        "delivered": delivered,
        "freeze_s": t_freeze - started,
        "render_queue_s": t_queue - t_freeze,
        "deliver_s": t_deliver - t_queue,
        "total_s": t_deliver - started,
        "campaign": campaign,
    }


def plain_smtplib(port: int, campaign, count: int, connections: int = 1) -> float:
    """The same messages, built beforehand, through smtplib in a loop per connection.

    One connection is the baseline; several show what the sink itself can take.
    """
    from regulars.messaging.compose import build_email
    from regulars.messaging.models import Message

    rows = Message.objects.filter(source=f"campaign:{campaign.pk}", status="sent")[:count]
    built = [
        (m.to_address, build_email(m).message().as_bytes(linesep="\r\n")) for m in rows.iterator()
    ]

    def loop(share):
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for to_address, data in share:
                smtp.sendmail("bench@localhost", [to_address], data)

    shares = [built[n::connections] for n in range(connections)]
    threads = [threading.Thread(target=loop, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=2, help="delivering processes")
    parser.add_argument("--threads", type=int, default=3, help="threads (connections) each")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument(
        "--plain", type=int, default=20000, help="messages in the smtplib loops (rates compared)"
    )
    args = parser.parse_args()

    port = free_port()
    total, unique = multiprocessing.Value("l", 0), multiprocessing.Value("l", 0)
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=run_sink, args=(port, total, unique, ready), daemon=True)
    sink.start()
    ready.wait(10)
    with tempfile.TemporaryDirectory() as workdir:
        setup_django(workdir, port)
        from regulars.orgs.actions import create_organisation

        org = create_organisation(slug="bench", name="Bench Salon")
        t0 = time.perf_counter()
        make_customers(org, args.recipients)
        setup_s = time.perf_counter() - t0
        result = run_campaign(org, args.processes, args.threads, args.batch)
        # Before the plain loops, which hold their pre-built messages in memory.
        campaign_peak_mb = peak_memory_mb()
        # The largest delivering child process (the sink is still running: not counted).
        worker_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        received, distinct = total.value, unique.value
        plain_count = min(args.plain, result["delivered"])
        campaign = result.pop("campaign")
        plain_s = plain_smtplib(port, campaign, plain_count)
        ceiling_s = plain_smtplib(port, campaign, plain_count, connections=4)
    sink.terminate()

    rate = result["delivered"] / result["total_s"]
    plain_rate = plain_count / plain_s
    report = {
        "customers": args.recipients,
        "processes": args.processes,
        "threads_per_process": args.threads,
        "setup_customers_s": round(setup_s, 2),
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()},
        "sink_received": received,
        "sink_distinct_message_ids": distinct,
        "end_to_end_msg_per_s": round(rate, 1),
        "deliver_only_msg_per_s": round(result["delivered"] / result["deliver_s"], 1),
        "plain_smtplib_msg_per_s": round(plain_rate, 1),
        "ratio_vs_plain": round(rate / plain_rate, 2),
        "sink_ceiling_4_plain_connections_msg_per_s": round(plain_count / ceiling_s, 1),
        "peak_memory_mb": round(campaign_peak_mb, 1),
        "peak_memory_worker_mb": round(worker_peak_mb, 1),
        "database": os.environ["DATABASE_URL"].split(":")[0],
    }
    out = ROOT / "bench" / "results" / f"send-{args.recipients}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    width = max(len(k) for k in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
