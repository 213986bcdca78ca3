"""`regulars demo`: a ready-to-click demo: data, a staff login, the server and the worker."""

import importlib
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from regulars.demo.actions import DemoSummary, ensure_demo_organisation, ensure_demo_owner
from regulars.demo.examples import ensure_demo_examples

PASSWORD_FILE = "demo-password"


class Command(BaseCommand):
    help = (
        "Migrate, create the demo organisation 'Salon & Scene Demo' with generated customers, "
        "two years of activity and examples to try (once), print the demo login, and serve "
        "the back office with the background worker in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-server", action="store_true", help="prepare, then exit")

    def handle(self, *args, customers, seed, port, host, no_server, **options):
        if customers < 1 or not 0 < port < 65536:
            raise CommandError("--customers must be positive and --port in 1..65535", returncode=2)
        call_command("migrate", interactive=False, verbosity=0)
        organisation, summary = ensure_demo_organisation(
            customers=customers, seed=seed, progress=self._progress
        )
        if ensure_demo_examples(organisation):
            self.stdout.write(
                "  added example segments, a draft campaign and an active point program"
            )
        username, password = ensure_demo_owner(
            organisation=organisation, password_file=settings.VAR_DIR / PASSWORD_FILE
        )
        self._announce(organisation, summary, username, password, f"http://{host}:{port}/")
        if not no_server:
            self._start_worker()
            call_command("runserver", f"{host}:{port}", use_reloader=False, insecure_serving=True)

    def _progress(self, customers: int, summary: DemoSummary) -> None:
        self.stdout.write(
            f"  generated {summary.rows['customer']:,}/{customers:,} customers "
            f"({summary.rows['sale_line']:,} sale lines) in {summary.seconds:.1f} s"
        )

    def _announce(self, organisation, summary, username, password, url) -> None:
        customers = organisation.customer_set.count()
        state = "created" if summary else "already there"
        lines = [
            "",
            f"Regulars demo: {organisation.name} ({organisation.slug}), "
            f"{customers:,} customers ({state})",
            f"  Open      {url}",
            f"  Username  {username}",
            f"  Password  {password}",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    def _start_worker(self) -> None:
        """Run the messaging worker beside the server, when the messaging app provides one."""
        try:
            worker = importlib.import_module("regulars.messaging.worker")
        except ImportError:
            return
        if hasattr(worker, "run_worker"):
            threading.Thread(target=worker.run_worker, name="worker", daemon=True).start()
            self.stdout.write("  Worker    delivering messages and running scheduled tasks")
