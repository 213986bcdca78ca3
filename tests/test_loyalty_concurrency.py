"""Concurrent redemptions and concurrent requests with one idempotency key (LOY-8)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from loyalty_world import build

from regulars.commerce.models import Item
from regulars.loyalty.actions import adjust_points, set_item_rule
from regulars.loyalty.errors import LoyaltyError
from regulars.loyalty.idempotency import KeyInUse, Response, run_once
from regulars.loyalty.ledger import ledger_differences
from regulars.loyalty.models import Balance, EntryKind, IdempotencyKey, LedgerEntry
from regulars.loyalty.till import LineInput, complete_sale

POSTGRES = connection.vendor == "postgresql"
# SQLite serialises writers: the same race with fewer threads keeps the run short.
CLIENTS, BALANCE = (50, 100) if POSTGRES else (10, 30)


def _in_thread(func):
    def run(*args):
        try:
            return func(*args)
        finally:
            connections.close_all()

    return run


@pytest.mark.django_db(transaction=True)
def test_parallel_redemptions_never_overdraw(org, other_org):
    world = build(org)
    coffee = Item.objects.create(organisation=org, number="400", name="Coffee", price_cents=3000)
    set_item_rule(
        program=world.program,
        item=coffee,
        points_earned=0,
        point_price=10,
        purchasable_for_points=True,
    )
    adjust_points(program=world.program, customer=world.anna, amount=BALANCE, description="Start")
    barrier = threading.Barrier(CLIENTS)

    @_in_thread
    def redeem(n):
        barrier.wait()
        try:
            complete_sale(
                organisation=org,
                customer=world.anna,
                lines=[LineInput("400", points_program_id=world.program.pk)],
                receipt_id=f"R{n}",
            )
        except LoyaltyError as refused:
            return refused.code
        return "ok"

    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(redeem, range(CLIENTS)))

    assert outcomes.count("ok") == BALANCE // 10
    assert outcomes.count("insufficient_points") == CLIENTS - BALANCE // 10
    assert Balance.objects.get(customer=world.anna).points == 0
    assert LedgerEntry.objects.filter(kind=EntryKind.REDEEM).count() == BALANCE // 10
    assert ledger_differences() == []


@pytest.mark.skipif(
    not POSTGRES,
    reason="SQLite has one writer at a time: a second request with the key waits, then replays",
)
@pytest.mark.django_db(transaction=True)
def test_one_key_at_once_runs_once(org):
    started, release = threading.Event(), threading.Event()
    runs = []

    def slow_work():
        runs.append(1)
        started.set()
        release.wait(10)
        return Response(201, {"sale": 1})

    def call(work):
        return run_once(
            organisation=org,
            key="same",
            fingerprint="f",
            work=work,
            refusal=lambda e: Response(422, {"code": e.code}),
        )

    first = ThreadPoolExecutor(1).submit(_in_thread(call), slow_work)
    assert started.wait(10)
    with pytest.raises(KeyInUse) as running:
        call(slow_work)
    assert running.value.status == 409
    release.set()
    assert first.result(10) == Response(201, {"sale": 1})
    assert call(slow_work) == Response(201, {"sale": 1})
    with pytest.raises(KeyInUse) as other:
        run_once(
            organisation=org,
            key="same",
            fingerprint="g",
            work=slow_work,
            refusal=lambda e: Response(422, {}),
        )
    assert other.value.status == 422
    assert runs == [1]


def test_failed_work_leaves_no_key_and_can_be_retried(org):
    def crash():
        raise RuntimeError("the till lost its connection")

    def call(work):
        return run_once(
            organisation=org,
            key="crashed",
            fingerprint="f",
            work=work,
            refusal=lambda e: Response(422, {}),
        )

    with pytest.raises(RuntimeError):
        call(crash)
    assert not IdempotencyKey.objects.filter(key="crashed").exists()
    assert call(lambda: Response(201, {"ok": True})) == Response(201, {"ok": True})
    assert IdempotencyKey.objects.get(key="crashed").response_body == {"ok": True}


def test_refusal_is_remembered_and_replayed(org):
    def refused():
        raise LoyaltyError("insufficient_points", "needs 10 points, 0 available")

    def call(work):
        return run_once(
            organisation=org,
            key="refused",
            fingerprint="f",
            work=work,
            refusal=lambda e: Response(422, {"code": e.code}),
        )

    assert call(refused) == Response(422, {"code": "insufficient_points"})
    assert call(lambda: Response(201, {"ok": True})) == Response(
        422, {"code": "insufficient_points"}
    )
    assert IdempotencyKey.objects.filter(key="refused").count() == 1
