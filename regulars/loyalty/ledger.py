"""The ledger primitive: lock a balance, append an entry, keep the cache equal to the sum.

Callers run inside `transaction.atomic`. Balances are locked in ascending (program,
customer) order by `lock_balances` so that two sales never wait on each other in a cycle.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from regulars.customers.models import Customer

from .errors import LoyaltyError
from .models import Balance, LedgerEntry, Program


def lock_balance(program: Program, customer: Customer) -> Balance:
    """The customer's balance row in the program, locked until the transaction ends."""
    rows = Balance.objects.select_for_update().filter(program=program, customer=customer)
    balance = rows.first()
    if balance is None:
        try:
            with transaction.atomic():
                Balance.objects.create(program=program, customer=customer, points=0)
        except IntegrityError:
            pass  # created meanwhile by a concurrent transaction; lock theirs
        balance = rows.get()
    return balance


def lock_balances(programs: Iterable[Program], customer: Customer) -> dict[int, Balance]:
    return {p.pk: lock_balance(p, customer) for p in sorted(programs, key=lambda p: p.pk)}


def append_entry(*, balance: Balance, amount: int, kind: str, at=None, **cause) -> LedgerEntry:
    """Append one entry to a locked balance; a result below zero raises and writes nothing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_entry must run inside a transaction")
    new_points = balance.points + amount
    if new_points < 0:
        raise LoyaltyError(
            "insufficient_points",
            f"not enough points: balance {balance.points}, needs {-amount}",
        )
    customer = balance.customer
    entry = LedgerEntry.objects.create(
        organisation_id=customer.organisation_id,
        program_id=balance.program_id,
        customer=customer,
        amount=amount,
        kind=kind,
        created_at=at or timezone.now(),
        balance_after=new_points,
        **cause,
    )
    Balance.objects.filter(pk=balance.pk).update(points=new_points, updated_at=timezone.now())
    balance.points = new_points
    return entry


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
