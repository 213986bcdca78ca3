"""Points at the till through the actions (LOY-3 … LOY-6)."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from loyalty_world import build, customer, days

from regulars.commerce.models import Sale, SaleLine
from regulars.loyalty import sql
from regulars.loyalty.actions import (
    MAX_TERM_POINTS,
    add_rule_period,
    adjust_points,
    set_item_rule,
    update_program,
)
from regulars.loyalty.errors import LoyaltyError
from regulars.loyalty.models import Balance, LedgerEntry
from regulars.loyalty.queries import local_date
from regulars.loyalty.till import (
    MAX_QUANTITY,
    MAX_UNIT_PRICE_CENTS,
    LineInput,
    complete_sale,
    quote_basket,
)
from regulars.segments.engine import compile_rules


@pytest.fixture
def world(org, other_org):
    build(other_org, prefix="o-")
    return build(org)


def sell(world, who, *lines, **kwargs):
    return complete_sale(organisation=world.org, customer=who, lines=list(lines), **kwargs)


def local_today(world):
    """The organisation's date now, which the till checks program periods against: near
    midnight it is not the machine's date."""
    return local_date(world.org, timezone.now())


def balance(world, who):
    found = Balance.objects.filter(program=world.program, customer=who).first()
    return found.points if found else 0


def test_buy_ten_get_the_eleventh_free(world):
    for _ in range(10):
        receipt = sell(world, world.anna, LineInput("100"))
    assert receipt.quote.programs[0].balance_after == 100
    assert balance(world, world.anna) == 100

    quote = quote_basket(organisation=world.org, customer=world.anna, lines=[LineInput("100")])
    terms = quote.lines[0].programs[0]
    assert (terms.points_earned, terms.point_price, terms.affordable) == (10, 100, True)

    receipt = sell(world, world.anna, LineInput("100", points_program_id=world.program.pk))
    line = receipt.quote.lines[0]
    assert (line.discount_cents, line.amount_cents, line.points_used, line.points_earned) == (
        45000,
        0,
        100,
        0,
    )
    assert (receipt.quote.programs[0].used, receipt.quote.programs[0].earned) == (100, 0)
    assert balance(world, world.anna) == 0
    sale_line = SaleLine.objects.get(sale=receipt.sale)
    assert (sale_line.discount_cents, sale_line.amount_cents, sale_line.customer) == (
        45000,
        0,
        world.anna,
    )
    assert LedgerEntry.objects.filter(customer=world.anna).count() == 11


def test_quantity_multiplies_points_and_discount_earns_nothing(world):
    receipt = sell(
        world,
        world.anna,
        LineInput("200", quantity=3),
        LineInput("100", discount_cents=1000),
        LineInput("300"),
    )
    assert [line.points_earned for line in receipt.quote.lines] == [15, 0, 0]
    update_program(program=world.program, earn_on_discounted=True)
    receipt = sell(world, world.anna, LineInput("100", discount_cents=1000))
    assert receipt.quote.lines[0].points_earned == 10
    assert balance(world, world.anna) == 25


def test_time_limited_period_overrides_standard_terms(world):
    today = local_today(world)
    rule = world.program.item_rules.get(item=world.shampoo)
    add_rule_period(
        rule=rule,
        starts_on=today - days(1),
        ends_on=today + days(1),
        points_earned=20,
        point_price=50,
        purchasable_for_points=True,
    )
    quote = quote_basket(organisation=world.org, customer=world.anna, lines=[LineInput("200")])
    terms = quote.lines[0].programs[0]
    assert (terms.points_earned, terms.point_price, terms.purchasable, terms.affordable) == (
        20,
        50,
        True,
        False,
    )


def test_without_customer_no_points_and_no_sale(world):
    quote = quote_basket(organisation=world.org, customer=None, lines=[LineInput("100")])
    assert (quote.lines[0].programs, quote.programs) == ([], [])
    with pytest.raises(LoyaltyError) as refused:
        quote_basket(
            organisation=world.org,
            customer=None,
            lines=[LineInput("100", points_program_id=world.program.pk)],
        )
    assert refused.value.code == "customer_required"
    with pytest.raises(LoyaltyError):
        sell(world, None, LineInput("100"))
    assert Sale.objects.count() == 0


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (LineInput("100", quantity=-1), "bad_quantity"),
        (LineInput("100", points_program_id=0), "unknown_program"),
        (LineInput("999"), "unknown_item"),
        (LineInput("100", discount_cents=-5), "bad_discount"),
        # Beyond what the columns hold: refused, not a database error.
        (LineInput("100", quantity=10_000), "bad_quantity"),
        (LineInput("100", quantity=10**20), "bad_quantity"),
        (LineInput("100", unit_price_cents=10**10 + 1), "bad_price"),
        (LineInput("100", discount_cents=10**19), "bad_discount"),
    ],
)
def test_bad_lines_write_nothing(world, line, code):
    with pytest.raises(LoyaltyError) as refused:
        sell(world, world.anna, LineInput("200"), line)
    assert refused.value.code == code
    assert (Sale.objects.count(), LedgerEntry.objects.count()) == (0, 0)


def test_redemption_refusals_write_nothing(world):
    adjust_points(program=world.program, customer=world.ben, amount=150, description="Welcome")
    program_line = LineInput("100", points_program_id=world.program.pk)
    with pytest.raises(LoyaltyError) as refused:
        sell(world, world.ben, program_line, program_line)
    assert refused.value.code == "insufficient_points"
    with pytest.raises(LoyaltyError) as refused:
        sell(world, world.ben, LineInput("200", points_program_id=world.program.pk))
    assert refused.value.code == "not_purchasable"
    update_program(program=world.program, redeem_from=local_today(world) + days(1))
    with pytest.raises(LoyaltyError) as refused:
        sell(world, world.ben, program_line)
    assert refused.value.code == "outside_redemption_period"
    assert (Sale.objects.count(), LedgerEntry.objects.count(), balance(world, world.ben)) == (
        0,
        1,
        150,
    )


def test_program_rules_for_earning(world):
    update_program(program=world.program, newsletter_required=True)
    quiet = customer(world.org, "quiet", email_consent=False)
    assert sell(world, quiet, LineInput("100")).quote.programs[0].earned == 0
    assert sell(world, world.anna, LineInput("100"), channel="adhoc").quote.programs[0].earned == 0
    update_program(program=world.program, earn_on_adhoc=True)
    assert sell(world, world.anna, LineInput("100"), channel="adhoc").quote.programs[0].earned == 10
    update_program(program=world.program, earn_until=local_today(world) - days(1))
    assert sell(world, world.anna, LineInput("100")).quote.programs[0].earned == 0
    update_program(program=world.program, active=False)
    assert sell(world, world.anna, LineInput("100")).quote.programs == []


def test_other_organisation_sees_nothing(world, other_org):
    sell(world, world.anna, LineInput("100"))
    other_customer = other_org.customer_set.get(external_id="o-anna")
    with pytest.raises(LoyaltyError) as refused:
        complete_sale(
            organisation=other_org,
            customer=other_customer,
            lines=[LineInput("100", points_program_id=world.program.pk)],
        )
    assert refused.value.code == "unknown_program"
    assert LedgerEntry.objects.filter(organisation=other_org).count() == 0


def test_a_till_sale_is_the_customers_last_purchase_for_segments(world):
    rules = {"match": "all", "criteria": [{"type": "last_purchase", "mode": "within", "days": 7}]}
    now = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
    sell(world, world.anna, LineInput("100"), at=now - datetime.timedelta(days=30))
    sell(world, world.ben, LineInput("100"), at=now - datetime.timedelta(days=2))
    sell(world, world.ben, LineInput("100"), at=now - datetime.timedelta(days=20))

    members = compile_rules(world.org, rules, now)

    assert list(members) == [world.ben]
    world.ben.refresh_from_db()
    assert world.ben.last_purchase_at == now - datetime.timedelta(days=2)


@pytest.mark.django_db(transaction=True)
def test_the_till_sells_on_after_a_failed_statement_and_a_new_connection(world):
    """The till's statements share one cursor per connection (on PostgreSQL): a statement
    that failed, or a connection closed and opened again, does not stop the next sale."""
    sell(world, world.anna, LineInput("100"))
    with pytest.raises(DatabaseError), transaction.atomic(), sql._cursor() as cursor:
        cursor.execute("SELECT id FROM no_such_table WHERE id = %s", [1])
    sell(world, world.anna, LineInput("100"))
    connection.close()
    sell(world, world.anna, LineInput("100"))

    assert balance(world, world.anna) == 30
    assert LedgerEntry.objects.filter(customer=world.anna).count() == 3


def test_receipt_number_carries_the_organisations_date(world):
    # 23:30 UTC on 6 December is 00:30 on 7 December in Copenhagen.
    at = datetime.datetime(2026, 12, 6, 23, 30, tzinfo=datetime.UTC)
    receipt = sell(world, world.anna, LineInput("200"), at=at)
    assert receipt.sale.receipt_id.startswith("T20261207-")
    assert len(receipt.sale.receipt_id) == len("T20261207-") + 12


def test_the_largest_line_and_balance_fit(world):
    update_program(program=world.program, earn_on_discounted=True)
    set_item_rule(
        program=world.program,
        item=world.shampoo,
        points_earned=MAX_TERM_POINTS,
        point_price=0,
        purchasable_for_points=False,
    )
    line = LineInput("200", quantity=MAX_QUANTITY, unit_price_cents=MAX_UNIT_PRICE_CENTS)
    receipt = sell(world, world.anna, line)
    assert receipt.sale.lines.get().amount_cents == MAX_QUANTITY * MAX_UNIT_PRICE_CENTS
    assert balance(world, world.anna) == MAX_QUANTITY * MAX_TERM_POINTS
    with pytest.raises(LoyaltyError) as refused:
        set_item_rule(
            program=world.program,
            item=world.shampoo,
            points_earned=MAX_TERM_POINTS + 1,
            point_price=0,
            purchasable_for_points=False,
        )
    assert refused.value.code == "bad_points"
    sell(world, world.anna, line)
    with pytest.raises(LoyaltyError) as refused:
        sell(world, world.anna, line)
    assert refused.value.code == "too_many_points"
    assert balance(world, world.anna) == 2 * MAX_QUANTITY * MAX_TERM_POINTS
    assert Sale.objects.filter(customer=world.anna).count() == 2


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("da", "linje 2: antal skal være fra 1 til 9999"),
        ("nb", "linje 2: antall må være fra 1 til 9999"),
        ("en", "line 2: quantity must be from 1 to 9999"),
    ],
)
def test_refusals_are_in_the_active_language(world, language, message):
    with translation.override(language), pytest.raises(LoyaltyError) as refused:
        sell(world, world.anna, LineInput("200"), LineInput("100", quantity=0))
    assert refused.value.message == message
    with translation.override(language), pytest.raises(LoyaltyError) as missing:
        quote_basket(organisation=world.org, customer=world.anna, lines=[LineInput("999")])
    assert "'999'" in missing.value.message and missing.value.code == "unknown_item"
