"""`regulars worker`: deliver messages and run scheduled tasks in this process."""

import signal
import threading

from django.core.management.base import BaseCommand

from regulars.messaging import delivery, worker


class Command(BaseCommand):
    help = "Deliver queued messages and run periodic tasks (the embedded mode)."

    def add_arguments(self, parser):
        parser.add_argument("--threads", type=int, default=None, help="delivery threads")
        parser.add_argument("--batch", type=int, default=50, help="messages claimed at a time")
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--once", action="store_true", help="deliver what is due, then exit (no periodic tasks)"
        )

    def handle(self, *args, threads, batch, poll, once, **options):
        if once:
            delivery.release_stale_claims()
            sent = delivery.deliver_all(limit=batch, threads=threads or 1)
            self.stdout.write(f"handled {sent} messages")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        worker.run_worker(stop, threads=threads, poll_seconds=poll, batch=batch)
