"""`regulars worker`: deliver messages and run scheduled tasks in this process."""

import signal
import subprocess
import sys
import threading

from django.core.management.base import BaseCommand

from regulars.messaging import delivery, worker

COPY_CHECK_SECONDS = 1.0  # how often a dead copy is looked for


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
        copy = ["--batch", str(batch), "--poll", str(poll)]
        copy += ["--threads", str(threads)] if threads else []
        if once:
            handled = deliver_once(copy, processes, threads=threads, batch=batch)
            self.stdout.write(f"handled {handled} messages")
        else:
            run(copy, processes, threads=threads, batch=batch, poll=poll)


def deliver_once(copy: list[str], processes: int, *, threads, batch) -> int:
    """Deliver what is due in this process and `processes - 1` copies; how many handled."""
    copies = [start_copy([*copy, "--once"], output=True) for _ in range(processes - 1)]
    delivery.release_stale_claims()
    handled = delivery.deliver_all(limit=batch, threads=threads or 1)
    outputs = [each.communicate()[0] for each in copies]
    return handled + sum(int(output.split()[1]) for output in outputs)


def run(copy: list[str], processes: int, *, threads, batch, poll) -> None:
    """Work until SIGTERM or SIGINT, with `processes - 1` copies kept running beside."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    copies = [start_copy(copy) for _ in range(processes - 1)]
    supervisor = threading.Thread(target=keep_running, args=(copies, copy, stop), daemon=True)
    supervisor.start()
    try:
        worker.run_worker(stop, threads=threads, poll_seconds=poll, batch=batch)
    finally:
        stop.set()
        supervisor.join()
        for each in copies:
            each.terminate()
        for each in copies:
            each.wait()


def start_copy(options: list[str], output: bool = False) -> subprocess.Popen:
    """Another worker process with the same options (SIGTERM stops it as it stops this one)."""
    command = [sys.executable, "-m", "regulars.cli", "worker", *options]
    return subprocess.Popen(command, stdout=subprocess.PIPE if output else None, text=True)


def keep_running(copies: list[subprocess.Popen], options: list[str], stop: threading.Event):
    """Start a copy again when it has ended (killed, out of memory) while this one runs.
    What the dead copy had claimed is released by the lease (`release_stale_claims`)."""
    while not stop.wait(COPY_CHECK_SECONDS):
        for index, each in enumerate(copies):
            if each.poll() is not None and not stop.is_set():
                copies[index] = start_copy(options)
