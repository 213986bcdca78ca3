"""`regulars demo-data`: generate a demo salon and venue into an organisation, or export it."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from regulars.demo.actions import DemoDataExists, DemoSummary, generate_demo_data
from regulars.demo.export import export_demo_data
from regulars.demo.sql import ConcurrentWrite
from regulars.orgs.models import Organisation


def _day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # a data tool: no need to load every URL module
    help = (
        "Generate deterministic demo customers with two years of salon and venue activity "
        "into an organisation (--org), or write them as import files (--export-dir)."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--org", help="slug of an existing organisation")
        target.add_argument("--export-dir", type=Path, help="write SPEC 9.2 import files here")
        parser.add_argument("--customers", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--months", type=int, default=24, help="months of past activity")
        parser.add_argument("--today", type=_day, help="anchor day (YYYY-MM-DD); default today")
        parser.add_argument("--batch", type=int, default=20_000, help="customers per transaction")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, org, export_dir, customers, seed, months, today, batch, quiet, **_):
        if customers < 1 or months < 1 or batch < 1:
            raise CommandError("--customers, --months and --batch must be positive", returncode=2)
        progress = None if quiet else self._progress
        if export_dir:
            try:
                summary = export_demo_data(
                    directory=export_dir,
                    customers=customers,
                    seed=seed,
                    months=months,
                    today=today,
                    batch_customers=batch,
                    progress=progress,
                )
            except OSError as exc:
                raise CommandError(
                    f"cannot write to {export_dir}: {exc.strerror}", returncode=2
                ) from exc
        else:
            summary = self._generate(org, customers, seed, months, today, batch, progress)
        self.stdout.write(self._totals(summary))

    def _generate(self, slug, customers, seed, months, today, batch, progress) -> DemoSummary:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(f"no organisation with slug {slug!r}", returncode=2)
        try:
            return generate_demo_data(
                organisation=organisation,
                customers=customers,
                seed=seed,
                months=months,
                today=today,
                batch_customers=batch,
                progress=progress,
            )
        except (DemoDataExists, ConcurrentWrite) as exc:
            raise CommandError(str(exc), returncode=2) from exc

    def _progress(self, customers: int, summary: DemoSummary) -> None:
        rows = summary.rows  # tables when generating, import files when exporting
        done, lines = rows["customer"] or rows["customers"], rows["sale_line"] or rows["sales"]
        self.stderr.write(
            f"  {done:>9,}/{customers:,} customers, {lines:,} sale lines, {summary.seconds:.1f} s"
        )

    @staticmethod
    def _totals(summary: DemoSummary) -> str:
        counts = ", ".join(f"{table} {count:,}" for table, count in summary.rows.items())
        return f"{counts} in {summary.seconds:.1f} s"
