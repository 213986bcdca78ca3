"""`regulars loyalty check`: recompute every balance from the ledger and report differences."""

from django.core.management.base import BaseCommand, CommandError

from regulars.loyalty.bookings import credit_due_bookings
from regulars.loyalty.ledger import ledger_differences


class Command(BaseCommand):
    help = "Loyalty maintenance: check balances against the ledger, credit due bookings."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check", "credit-bookings"])

    def handle(self, *args, action: str, **options):
        if action == "credit-bookings":
            counts = credit_due_bookings()
            self.stdout.write(f"credited {counts['credited']}, reversed {counts['reversed']}")
            return
        differences = ledger_differences()
        for program_id, customer_id, cached, total in differences:
            self.stdout.write(
                f"program {program_id} customer {customer_id}: balance {cached}, ledger {total}"
            )
        if differences:
            raise CommandError(
                f"{len(differences)} balance(s) differ from the ledger", returncode=1
            )
        self.stdout.write("ok: every balance equals the sum of its ledger entries")
