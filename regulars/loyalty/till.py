"""Points at the till (LOY-5, LOY-6, LOY-8): quote a basket and complete the sale.

A line paid with points is locked at 100 % discount and earns nothing; the points leave
the account only when the sale completes, under the balance lock, so a balance never
goes below zero however many tills sell at once.
"""

import datetime
import secrets
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.commerce.models import Item, Sale, SaleChannel, SaleLine
from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from . import giftcards, sql
from .errors import LoyaltyError
from .ledger import Change, append_entries, lock_balances
from .models import EntryKind, Program
from .queries import (
    ItemTerms,
    active_programs,
    balances_of,
    customer_may_earn,
    earns_on,
    item_terms,
    local_date,
    redeems_on,
)


@dataclass
class LineInput:
    item_number: str
    quantity: int = 1
    unit_price_cents: int | None = None  # the item's price when not given
    discount_cents: int = 0
    points_program_id: int | None = None  # pay this line with points of that program


@dataclass
class LineProgram:
    program_id: int
    program_name: str
    points_earned: int  # what this line earns as it stands
    point_price: int  # per item; the line costs point_price × quantity
    purchasable: bool
    affordable: bool


@dataclass
class QuoteLine:
    line_number: int
    item: Item
    quantity: int
    unit_price_cents: int
    discount_cents: int
    amount_cents: int
    points_program_id: int | None
    points_used: int
    programs: list[LineProgram] = field(default_factory=list)

    @property
    def points_earned(self) -> int:
        return sum(p.points_earned for p in self.programs)


@dataclass
class ProgramBalance:
    program_id: int
    program_name: str
    balance: int
    earned: int
    used: int

    @property
    def balance_after(self) -> int:
        return self.balance - self.used + self.earned


@dataclass
class Quote:
    customer: Customer | None
    channel: str
    lines: list[QuoteLine]
    programs: list[ProgramBalance]

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


@dataclass
class Catalogue:
    """What pricing a basket reads: its items, the active programs and their item rules."""

    items: dict[str, Item]
    programs: list[Program]
    rules: dict[tuple[int, str], ItemTerms]


def load_catalogue(
    organisation: Organisation, customer: Customer | None, lines: list[LineInput]
) -> Catalogue:
    programs = active_programs(organisation) if customer is not None else []
    numbers = {line.item_number for line in lines}
    items, terms = sql.items_and_terms(organisation, numbers, programs)
    found = {item.number: item for item in items}
    missing = sorted(numbers - found.keys())
    if missing:
        raise LoyaltyError(
            "unknown_item", _("unknown item number %(number)r") % {"number": missing[0]}
        )
    return Catalogue(items=found, programs=programs, rules=item_terms(terms))


def quote_basket(
    *,
    organisation: Organisation,
    customer: Customer | None,
    lines: list[LineInput],
    channel: str = SaleChannel.POS,
    at: datetime.datetime | None = None,
    balances: dict[int, int] | None = None,
    catalogue: Catalogue | None = None,
) -> Quote:
    """Price a basket in points. Raises LoyaltyError for anything the till may not do."""
    if channel not in SaleChannel.values:
        raise LoyaltyError("bad_channel", _("unknown channel %(channel)r") % {"channel": channel})
    day = local_date(organisation, at or timezone.now())
    catalogue = catalogue or load_catalogue(organisation, customer, lines)
    programs, rules = catalogue.programs, catalogue.rules
    if balances is None:
        balances = balances_of(customer, programs) if customer is not None else {}
    spent: dict[int, int] = defaultdict(int)
    quoted = []
    for number, line in enumerate(lines, start=1):
        quoted.append(price_line(number, line, catalogue.items[line.item_number]))
        if line.points_program_id is not None:
            _redeem_line(quoted[-1], customer, programs, rules, day, balances, spent)
    for priced in quoted:
        terms = [
            _line_terms(priced, p, customer, channel, rules, day, balances, spent) for p in programs
        ]
        priced.programs = [t for t in terms if t.points_earned or t.point_price]
    return Quote(customer, channel, quoted, _program_totals(programs, quoted, balances, spent))


# What one till line may hold: the quantity fits its 32-bit column and the line's amounts
# (up to 10^14 cents) their 64-bit ones; with at most MAX_TERM_POINTS per item, a line's
# points fit a ledger entry's 32-bit amount.
MAX_QUANTITY = 9_999
MAX_UNIT_PRICE_CENTS = 10**10


def price_line(number: int, line: LineInput, item: Item) -> QuoteLine:
    """The line priced, or LoyaltyError naming what is out of range."""
    if not 1 <= line.quantity <= MAX_QUANTITY:
        raise LoyaltyError(
            "bad_quantity",
            _("line %(number)s: quantity must be from 1 to %(most)s")
            % {"number": number, "most": MAX_QUANTITY},
        )
    unit = item.price_cents if line.unit_price_cents is None else line.unit_price_cents
    if not 0 <= unit <= MAX_UNIT_PRICE_CENTS:
        raise LoyaltyError(
            "bad_price",
            _("line %(number)s: unit price must be from 0 to %(most)s cents")
            % {"number": number, "most": MAX_UNIT_PRICE_CENTS},
        )
    gross = unit * line.quantity
    if not 0 <= line.discount_cents <= gross:
        raise LoyaltyError(
            "bad_discount",
            _("line %(number)s: discount must be between 0 and %(most)s")
            % {"number": number, "most": gross},
        )
    return QuoteLine(
        line_number=number,
        item=item,
        quantity=line.quantity,
        unit_price_cents=unit,
        discount_cents=line.discount_cents,
        amount_cents=gross - line.discount_cents,
        points_program_id=line.points_program_id,
        points_used=0,
    )


def _redeem_line(line, customer, programs, rules, day, balances, spent) -> None:
    """Lock the line at 100 % discount, paid with points; refuse what the rules forbid."""
    if customer is None:
        raise _refusal("customer_required", _("%(where)s: points need a chosen customer"), line)
    program = next((p for p in programs if p.pk == line.points_program_id), None)
    if program is None:
        raise _refusal("unknown_program", _("%(where)s: no active program with that id"), line)
    if not redeems_on(program, day):
        raise _refusal(
            "outside_redemption_period", _("%(where)s: outside the redemption period"), line
        )
    rule = rules.get((program.pk, line.item.number))
    terms = rule.on(day) if rule else None
    if terms is None or not terms.purchasable_for_points or terms.point_price < 1:
        raise _refusal("not_purchasable", _("%(where)s: item cannot be bought for points"), line)
    cost = terms.point_price * line.quantity
    available = balances.get(program.pk, 0) - spent[program.pk]
    if available < cost:
        message = _("%(where)s: needs %(cost)s points, %(available)s available")
        raise _refusal("insufficient_points", message, line, cost=cost, available=available)
    spent[program.pk] += cost
    line.points_used = cost
    line.discount_cents = line.unit_price_cents * line.quantity
    line.amount_cents = 0


def _refusal(code: str, message: str, line: QuoteLine, **values) -> LoyaltyError:
    """A line refused: the translated `message` names it by %(where)s."""
    where = _("line %(number)s") % {"number": line.line_number}
    return LoyaltyError(code, message % {"where": where, **values})


def _line_terms(line, program, customer, channel, rules, day, balances, spent) -> LineProgram:
    rule = rules.get((program.pk, line.item.number))
    terms = rule.on(day) if rule else None
    earned = 0
    if (
        terms is not None
        and line.points_program_id is None
        and earns_on(program, day)
        and customer_may_earn(program, customer, channel)
        and (line.discount_cents == 0 or program.earn_on_discounted)
    ):
        earned = terms.points_earned * line.quantity
    purchasable = bool(
        terms
        and terms.purchasable_for_points
        and terms.point_price > 0
        and redeems_on(program, day)
    )
    price = terms.point_price if terms else 0
    available = balances.get(program.pk, 0) - spent[program.pk]
    if line.points_program_id == program.pk:
        available += line.points_used
    return LineProgram(
        program_id=program.pk,
        program_name=program.name,
        points_earned=earned,
        point_price=price,
        purchasable=purchasable,
        affordable=purchasable and available >= price * line.quantity,
    )


def _program_totals(programs, lines, balances, spent) -> list[ProgramBalance]:
    totals = []
    for program in programs:
        earned = sum(
            lp.points_earned for li in lines for lp in li.programs if lp.program_id == program.pk
        )
        totals.append(
            ProgramBalance(
                program.pk, program.name, balances.get(program.pk, 0), earned, spent[program.pk]
            )
        )
    return totals


@dataclass
class Receipt:
    sale: Sale
    quote: Quote
    gift_card_cents: int

    @property
    def due_cents(self) -> int:
        return self.quote.total_cents - self.gift_card_cents


def complete_sale(
    *,
    organisation: Organisation,
    customer: Customer | None,
    lines: list[LineInput],
    channel: str = SaleChannel.POS,
    receipt_id: str = "",
    gift_card_code: str = "",
    at: datetime.datetime | None = None,
    savepoint: bool = True,
) -> Receipt:
    """Write the sale, its lines and its ledger entries at once; all or nothing.

    Inside a caller's transaction a refused sale rolls back to a savepoint, so the caller
    may go on. `savepoint=False` skips it (two statements) for a caller whose transaction
    ends with the refusal anyway, as the till API's idempotent writes do.
    """
    if customer is None:
        raise LoyaltyError(
            "customer_required", _("a sale through the loyalty till needs a customer")
        )
    if not lines:
        raise LoyaltyError("empty_sale", _("a sale needs at least one line"))
    with transaction.atomic(savepoint=savepoint):
        at = at or timezone.now()
        catalogue = load_catalogue(organisation, customer, lines)
        # Lock every balance the basket could touch before pricing it against them.
        ruled = {program_id for program_id, _number in catalogue.rules}
        locked = lock_balances([p for p in catalogue.programs if p.pk in ruled], customer)
        quote = quote_basket(
            organisation=organisation,
            customer=customer,
            lines=lines,
            channel=channel,
            at=at,
            balances={pk: b.points for pk, b in locked.items()},
            catalogue=catalogue,
        )
        sale = _write_sale(organisation, customer, channel, receipt_id, quote, at)
        _write_points(quote, sale, locked, at)
        paid = (
            giftcards.pay_with_gift_card(
                organisation=organisation,
                code=gift_card_code,
                sale=sale,
                due_cents=quote.total_cents,
                at=at,
            )
            if gift_card_code
            else 0
        )
        return Receipt(sale=sale, quote=quote, gift_card_cents=paid)


def _write_sale(organisation, customer, channel, receipt_id, quote: Quote, at) -> Sale:
    if not receipt_id:
        # The day as printed on the receipt: the organisation's date, not UTC's.
        receipt_id = f"T{local_date(organisation, at):%Y%m%d}-{secrets.token_hex(6).upper()}"
    elif Sale.objects.filter(organisation=organisation, receipt_id=receipt_id).exists():
        raise LoyaltyError(
            "duplicate_receipt", _("receipt %(receipt)r already exists") % {"receipt": receipt_id}
        )
    sale = Sale(
        organisation=organisation,
        receipt_id=receipt_id,
        customer=customer,
        sold_at=at,
        channel=channel,
    )
    sql.insert([sale])
    sale_lines = [
        SaleLine(
            organisation=organisation,
            sale=sale,
            line_number=line.line_number,
            customer=customer,
            sold_at=at,
            channel=channel,
            item=line.item,
            item_group_id=line.item.group_id,
            quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
            discount_cents=line.discount_cents,
            amount_cents=line.amount_cents,
        )
        for line in quote.lines
    ]
    sql.insert(sale_lines)
    sql.advance_last_purchase(customer.pk, at)
    sale.saved_lines = sale_lines  # type: ignore[attr-defined]
    return sale


def _write_points(quote: Quote, sale: Sale, locked, at) -> None:
    """Spend first, then earn: points earned on a sale cannot pay for the same sale."""
    saved = {sl.line_number: sl for sl in sale.saved_lines}  # type: ignore[attr-defined]
    spent = [
        Change(
            locked[line.points_program_id],
            -line.points_used,
            EntryKind.REDEEM,
            _cause(line, saved),
        )
        for line in quote.lines
        if line.points_program_id is not None
    ]
    earned = [
        Change(locked[lp.program_id], lp.points_earned, EntryKind.EARN, _cause(line, saved))
        for line in quote.lines
        for lp in line.programs
        if lp.points_earned
    ]
    if spent or earned:
        append_entries(spent + earned, at=at)


def _cause(line: QuoteLine, saved: dict[int, SaleLine]) -> dict:
    return {
        "sale_line": saved[line.line_number],
        "description": f"{line.quantity} × {line.item.name or line.item.number}",
    }
