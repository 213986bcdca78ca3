"""The points ledger: append-only, balance = sum of entries, never negative (LOY ledger)."""

import itertools

import pytest
from django.core.management import call_command, execute_from_command_line
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from loyalty_world import build, customer

from regulars.loyalty.actions import adjust_points, reverse_entry
from regulars.loyalty.errors import LoyaltyError
from regulars.loyalty.ledger import append_entry, lock_balance
from regulars.loyalty.models import Balance, EntryKind, LedgerEntry
from regulars.loyalty.till import LineInput, complete_sale


@pytest.fixture
def world(org, other_org):
    build(other_org, prefix="o-")
    return build(org)


def test_entries_cannot_be_updated_or_deleted(world):
    entry = adjust_points(program=world.program, customer=world.anna, amount=5, description="Hi")
    entry.description = "changed"
    for attempt in (entry.save, entry.delete, LedgerEntry.objects.all().delete):
        with pytest.raises(PermissionError):
            attempt()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=500)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_database_refuses_changes_to_entries(world):
    entry = adjust_points(program=world.program, customer=world.anna, amount=5, description="Hi")
    for sql in ("UPDATE loyalty_ledgerentry SET amount = 6", "DELETE FROM loyalty_ledgerentry"):
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert LedgerEntry.objects.get().amount == entry.amount == 5


def test_check_command_finds_differences(world, capsys):
    adjust_points(program=world.program, customer=world.anna, amount=7, description="Hi")
    call_command("loyalty", "check")
    assert "ok" in capsys.readouterr().out
    Balance.objects.filter(customer=world.anna).update(points=9)
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["regulars", "loyalty", "check"])
    assert exited.value.code == 1
    out = capsys.readouterr()
    assert f"customer {world.anna.pk}: balance 9, ledger 7" in out.out


def test_sale_line_never_earns_twice(world):
    receipt = complete_sale(organisation=world.org, customer=world.anna, lines=[LineInput("100")])
    line = receipt.sale.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        append_entry(
            balance=lock_balance(world.program, world.anna),
            amount=10,
            kind=EntryKind.EARN,
            sale_line=line,
        )
    assert LedgerEntry.objects.filter(sale_line=line).count() == 1


class LedgerMachine(RuleBasedStateMachine):
    """Random sales, redemptions, adjustments and reversals against one fresh customer."""

    world = None
    serial = itertools.count()

    @initialize()
    def fresh_customer(self):
        self.customer = customer(self.world.org, f"h{next(self.serial)}")
        self.expected = 0

    @rule(quantity=st.integers(1, 4), item=st.sampled_from(["100", "200", "300"]))
    def buy(self, quantity, item):
        complete_sale(
            organisation=self.world.org,
            customer=self.customer,
            lines=[LineInput(item, quantity=quantity)],
        )
        self.expected += {"100": 10, "200": 5, "300": 0}[item] * quantity

    @rule(quantity=st.integers(1, 2))
    def redeem(self, quantity):
        cost = 100 * quantity
        line = LineInput("100", quantity=quantity, points_program_id=self.world.program.pk)
        try:
            complete_sale(organisation=self.world.org, customer=self.customer, lines=[line])
        except LoyaltyError as refused:
            assert refused.code == "insufficient_points" and self.expected < cost
        else:
            self.expected -= cost

    @rule(amount=st.integers(-300, 300).filter(bool))
    def adjust(self, amount):
        try:
            adjust_points(
                program=self.world.program, customer=self.customer, amount=amount, description="x"
            )
        except LoyaltyError:
            assert self.expected + amount < 0
        else:
            self.expected += amount

    @rule(pick=st.integers(0, 50))
    def reverse(self, pick):
        entries = list(
            LedgerEntry.objects.filter(customer=self.customer, reversal__isnull=True).exclude(
                kind=EntryKind.REVERSE
            )
        )
        if not entries:
            return
        entry = entries[pick % len(entries)]
        try:
            reversal = reverse_entry(entry=entry, description="correction")
        except LoyaltyError:
            assert self.expected - entry.amount < 0
        else:
            assert reversal.amount == -entry.amount
            self.expected -= entry.amount

    @invariant()
    def balance_is_sum_of_entries(self):
        if not hasattr(self, "customer"):
            return
        entries = LedgerEntry.objects.filter(customer=self.customer)
        total = entries.aggregate(total=Sum("amount"))["total"] or 0
        cached = Balance.objects.filter(customer=self.customer).first()
        assert total == self.expected == (cached.points if cached else 0)
        assert not entries.filter(balance_after__lt=0).exists()
        last = entries.order_by("-id").first()
        assert (last.balance_after if last else 0) == total

    @invariant()
    def no_line_counts_twice(self):
        per_line = (
            LedgerEntry.objects.filter(sale_line__isnull=False)
            .values("program", "sale_line", "kind")
            .annotate(n=Count("id"))
        )
        assert all(row["n"] == 1 for row in per_line)


def test_ledger_state_machine(world):
    LedgerMachine.world = world
    machine = LedgerMachine.TestCase
    machine.settings = settings(
        max_examples=25,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    machine().runTest()
