"""`regulars import KIND FILE --org SLUG [--dry-run]` (SPEC 9.1).

Exit status: 0 imported (or a clean dry run), 1 bad rows (every one printed on stderr,
nothing imported), 2 bad command line, unknown organisation, unreadable file."""

from django.core.management.base import BaseCommand, CommandError, no_translations

from regulars.imports.actions import KINDS, TableError, import_file
from regulars.orgs.models import Organisation


class Command(BaseCommand):
    help = "Import customers, sales, bookings, tickets or individuals from CSV or .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")

    @no_translations  # English, whatever language a caller had active (SPEC 9.1 output)
    def handle(self, *args, kind, file, org, dry_run, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"no organisation {org!r}", returncode=2)
        try:
            report = import_file(organisation=organisation, kind=kind, file=file, dry_run=dry_run)
        except TableError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        for error in report.errors:
            self.stderr.write(str(error))
        self.stdout.write(report.summary())
        if not report.ok:
            what = f"{report.failed} bad rows" if report.failed else "missing columns"
            raise CommandError(f"{what}; nothing was imported", returncode=1)
