"""The ledger primitive: lock balances, append entries, keep the cache equal to the sum.

Callers run inside `transaction.atomic`. `lock_balances` locks a customer's balance rows in
ascending program order in one statement, so that two sales never wait on each other in a
cycle; `append_entries` writes a sale's entries in one insert and each touched balance in
one update.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.customers.models import Customer

from . import sql
from .errors import LoyaltyError
from .models import Balance, LedgerEntry, Program


def lock_balance(program: Program, customer: Customer) -> Balance:
    """The customer's balance row in the program, locked until the transaction ends."""
    return lock_balances([program], customer)[program.pk]


def lock_balances(programs: Iterable[Program], customer: Customer) -> dict[int, Balance]:
    """Balance rows by program id, locked; a missing row is created at 0 first."""
    program_ids = sorted({p.pk for p in programs})
    if not program_ids:
        return {}
    found = {b.program_id: b for b in sql.locked_balances(customer.pk, program_ids)}
    missing = [pk for pk in program_ids if pk not in found]
    if missing:
        # A concurrent transaction may create the same row: keep theirs and lock it.
        Balance.objects.bulk_create(
            [Balance(program_id=pk, customer=customer, points=0) for pk in missing],
            ignore_conflicts=True,
        )
        found.update((b.program_id, b) for b in sql.locked_balances(customer.pk, missing))
    for balance in found.values():
        balance.customer = customer
    return found


@dataclass
class Change:
    """One entry to append to a locked balance; `cause` names what caused it."""

    balance: Balance
    amount: int
    kind: str
    cause: dict = field(default_factory=dict)


# Balances and entry amounts are 32-bit integer columns.
MAX_BALANCE = 2**31 - 1


def append_entry(*, balance: Balance, amount: int, kind: str, at=None, **cause) -> LedgerEntry:
    """Append one entry to a locked balance; a result below zero raises and writes nothing."""
    return append_entries([Change(balance, amount, kind, cause)], at=at)[0]


def append_entries(changes: list[Change], at=None) -> list[LedgerEntry]:
    """Append entries in order; any balance going below zero raises and writes nothing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_entries must run inside a transaction")
    at = at or timezone.now()
    points = {id(c.balance): c.balance.points for c in changes}
    entries = []
    for change in changes:
        balance = change.balance
        new_points = points[id(balance)] + change.amount
        if new_points < 0:
            raise LoyaltyError(
                "insufficient_points",
                _("not enough points: balance %(balance)s, needs %(needs)s")
                % {"balance": points[id(balance)], "needs": -change.amount},
            )
        if new_points > MAX_BALANCE:
            raise LoyaltyError(
                "too_many_points",
                _("a balance holds at most %(most)s points") % {"most": MAX_BALANCE},
            )
        points[id(balance)] = new_points
        entries.append(
            LedgerEntry(
                organisation_id=balance.customer.organisation_id,
                program_id=balance.program_id,
                customer=balance.customer,
                amount=change.amount,
                kind=change.kind,
                created_at=at,
                balance_after=new_points,
                **change.cause,
            )
        )
    sql.insert(entries)
    now = timezone.now()
    for balance in {id(c.balance): c.balance for c in changes}.values():
        balance.points, balance.updated_at = points[id(balance)], now
        sql.set_balance(balance)
    return entries


def ledger_differences() -> list[tuple[int, int, int, int]]:
    """(program id, customer id, cached balance, ledger sum) for every balance that differs."""
    sums = {
        (row["program_id"], row["customer_id"]): row["total"]
        for row in LedgerEntry.objects.values("program_id", "customer_id").annotate(
            total=Sum("amount")
        )
    }
    differences = []
    for b in Balance.objects.values("program_id", "customer_id", "points").iterator():
        key = (b["program_id"], b["customer_id"])
        total = sums.pop(key, 0)
        if total != b["points"]:
            differences.append((*key, b["points"], total))
    differences.extend((*key, 0, total) for key, total in sums.items())
    return sorted(differences)
