"""`regulars worker`: deliver messages and run scheduled tasks in this process."""

import signal
import subprocess
import sys
import threading

from django.core.management.base import BaseCommand

from regulars.messaging import delivery, worker


class Command(BaseCommand):
    help = "Deliver queued messages and run periodic tasks (the embedded mode)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--threads", type=int, default=None, help="provider connections per process"
        )
        parser.add_argument("--batch", type=int, default=50, help="messages claimed at a time")
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--once", action="store_true", help="deliver what is due, then exit (no periodic tasks)"
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="worker processes (this one and copies of it; they share the queue's claims)",
        )

    def handle(self, *args, threads, batch, poll, once, processes, **options):
        copy = ["--batch", str(batch), "--poll", str(poll), *(["--once"] if once else [])]
        if threads:
            copy += ["--threads", str(threads)]
        others = [start_copy(copy) for _ in range(processes - 1)]
        try:
            handled = self.work(threads=threads, batch=batch, poll=poll, once=once)
        finally:
            if not once:
                for other in others:
                    other.terminate()
            outputs = [other.communicate()[0] for other in others]
        if once:
            handled += sum(int(output.split()[1]) for output in outputs)
            self.stdout.write(f"handled {handled} messages")

    def work(self, *, threads, batch, poll, once) -> int:
        if once:
            delivery.release_stale_claims()
            return delivery.deliver_all(limit=batch, threads=threads or 1)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        worker.run_worker(stop, threads=threads, poll_seconds=poll, batch=batch)
        return 0


def start_copy(options: list[str]) -> subprocess.Popen:
    """Another worker process with the same options (SIGTERM stops it as it stops this one)."""
    command = [sys.executable, "-m", "regulars.cli", "worker", *options]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
