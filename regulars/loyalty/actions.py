"""Writes on programs, rules, dealers' opt-ins and manual point changes (LOY-1 … 4, 11 … 13).

Till sales live in `till.py`, baskets in `baskets.py`, bookings in `bookings.py`, gift
cards in `giftcards.py`; every change of points goes through `ledger.append_entry`.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from regulars.commerce.models import Item, Service
from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from .errors import LoyaltyError, NotFound
from .ledger import MAX_BALANCE, append_entry, lock_balance
from .models import (
    EntryKind,
    GiftCardProduct,
    ItemRule,
    ItemRulePeriod,
    LedgerEntry,
    LoyaltySettings,
    Program,
    ProgramUse,
    ServiceRule,
)
from .notifications import check_template, notify_entry, settings_for
from .queries import programs_for

# Points an item earns or costs; times a till line's quantity they fit a ledger entry.
MAX_TERM_POINTS = 100_000

PROGRAM_SETTINGS = (
    "name",
    "newsletter_required",
    "forfeit_on_unsubscribe",
    "unsubscribe_warning",
    "earn_on_adhoc",
    "earn_on_discounted",
    "customer_can_see_balance",
    "active",
    "earn_from",
    "earn_until",
    "redeem_from",
    "redeem_until",
    "show_signed_up_icon",
    "signed_up_icon",
    "show_not_signed_up_icon",
    "not_signed_up_icon",
    "booking_credit_delay_hours",
)


@transaction.atomic
def create_program(*, organisation: Organisation, name: str) -> Program:
    """A new program is inactive until someone activates it (LOY-1)."""
    if not name.strip():
        raise LoyaltyError("name_required", _("a program needs a name"))
    return Program.objects.create(organisation=organisation, name=name.strip(), active=False)


@transaction.atomic
def update_program(*, program: Program, **changes) -> Program:
    """Change settings (LOY-2); unknown names raise. Deactivating is the only 'delete'."""
    unknown = set(changes) - set(PROGRAM_SETTINGS)
    if unknown:
        raise LoyaltyError(
            "unknown_setting", _("unknown setting %(name)s") % {"name": sorted(unknown)[0]}
        )
    for name, value in changes.items():
        setattr(program, name, value)
    _check_periods(program)
    program.save()
    return program


def _check_periods(program: Program) -> None:
    for start, end in (
        (program.earn_from, program.earn_until),
        (program.redeem_from, program.redeem_until),
    ):
        if start and end and start > end:
            raise LoyaltyError("bad_period", _("a period must not end before it starts"))


@transaction.atomic
def set_program_use(*, program: Program, dealer: Organisation, use: bool) -> ProgramUse:
    """A dealer opts in to (or out of) its supplier's program ('Benyt', LOY-12)."""
    if dealer.supplier_id != program.organisation_id:
        raise NotFound("program")
    found, _created = ProgramUse.objects.update_or_create(
        program=program, dealer=dealer, defaults={"active": use}
    )
    return found


@transaction.atomic
def set_item_rule(
    *,
    program: Program,
    item: Item,
    points_earned: int,
    point_price: int,
    purchasable_for_points: bool,
) -> ItemRule:
    """The item's standard terms in the program (LOY-3); the item must be the program's."""
    if item.organisation_id != program.organisation_id:
        raise NotFound("item")
    _check_terms(points_earned, point_price)
    rule, _created = ItemRule.objects.update_or_create(
        program=program,
        item=item,
        defaults={
            "points_earned": points_earned,
            "point_price": point_price,
            "purchasable_for_points": purchasable_for_points,
        },
    )
    return rule


def _check_terms(points_earned: int, point_price: int) -> None:
    if not (0 <= points_earned <= MAX_TERM_POINTS and 0 <= point_price <= MAX_TERM_POINTS):
        raise LoyaltyError(
            "bad_points",
            _("points must be whole numbers from 0 to %(most)s") % {"most": MAX_TERM_POINTS},
        )


@transaction.atomic
def add_rule_period(
    *,
    rule: ItemRule,
    starts_on: datetime.date,
    ends_on: datetime.date,
    points_earned: int,
    point_price: int,
    purchasable_for_points: bool,
) -> ItemRulePeriod:
    """A time-limited period overriding the standard terms (summer/Christmas campaigns)."""
    if starts_on > ends_on:
        raise LoyaltyError("bad_period", _("a period must not end before it starts"))
    _check_terms(points_earned, point_price)
    overlapping = rule.periods.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
    if overlapping.exists():
        raise LoyaltyError("overlapping_period", _("periods of one item must not overlap"))
    return ItemRulePeriod.objects.create(
        rule=rule,
        starts_on=starts_on,
        ends_on=ends_on,
        points_earned=points_earned,
        point_price=point_price,
        purchasable_for_points=purchasable_for_points,
    )


@transaction.atomic
def delete_rule_period(*, period: ItemRulePeriod) -> None:
    period.delete()


@transaction.atomic
def set_service_rule(*, program: Program, service: Service, points: int) -> ServiceRule | None:
    """Points per booking of a service or class (seed 003); 0 takes it out of the program."""
    if service.organisation_id != program.organisation_id:
        raise NotFound("service")
    if points <= 0:
        ServiceRule.objects.filter(program=program, service=service).delete()
        return None
    rule, _created = ServiceRule.objects.update_or_create(
        program=program, service=service, defaults={"points": points}
    )
    return rule


@transaction.atomic
def create_gift_card_product(
    *, program: Program, name: str, value_cents: int, point_price: int, valid_days: int = 365
) -> GiftCardProduct:
    _check_gift_card_product(name, value_cents, point_price, valid_days)
    return GiftCardProduct.objects.create(
        program=program,
        name=name.strip(),
        value_cents=value_cents,
        point_price=point_price,
        valid_days=valid_days,
    )


@transaction.atomic
def update_gift_card_product(
    *,
    product: GiftCardProduct,
    name: str,
    value_cents: int,
    point_price: int,
    valid_days: int,
    active: bool,
) -> GiftCardProduct:
    """Change what a gift card costs and is worth; cards already issued keep their value."""
    _check_gift_card_product(name, value_cents, point_price, valid_days)
    product.name, product.value_cents, product.point_price = name.strip(), value_cents, point_price
    product.valid_days, product.active = valid_days, active
    product.save(update_fields=["name", "value_cents", "point_price", "valid_days", "active"])
    return product


# A gift card's largest value (a hundred million in the currency), price and validity.
MAX_GIFT_CARD_CENTS = 10**10
MAX_VALID_DAYS = 3660


def _check_gift_card_product(name: str, value_cents: int, point_price: int, valid_days: int):
    if not name.strip():
        raise LoyaltyError("name_required", _("a gift card needs a name"))
    if not (
        0 < value_cents <= MAX_GIFT_CARD_CENTS
        and 0 < point_price <= MAX_BALANCE
        and 0 < valid_days <= MAX_VALID_DAYS
    ):
        raise LoyaltyError(
            "bad_gift_card",
            _(
                "value (up to %(cents)s cents), point price (up to %(points)s) and validity"
                " (up to %(days)s days) must be positive"
            )
            % {"cents": MAX_GIFT_CARD_CENTS, "points": MAX_BALANCE, "days": MAX_VALID_DAYS},
        )


@transaction.atomic
def adjust_points(
    *, program: Program, customer: Customer, amount: int, description: str, staff_user=None
) -> LedgerEntry:
    """Add or subtract points by hand; the description is shown to the customer (LOY-11)."""
    if not description.strip():
        raise LoyaltyError("description_required", _("an adjustment needs a description"))
    if amount == 0:
        raise LoyaltyError("bad_points", _("an adjustment must change the balance"))
    if not programs_for(customer.organisation).filter(pk=program.pk).exists():
        raise NotFound("program")
    entry = append_entry(
        balance=lock_balance(program, customer),
        amount=amount,
        kind=EntryKind.ADJUST,
        staff_user=staff_user,
        description=description.strip(),
    )
    transaction.on_commit(lambda: notify_entry(entry, manual=True))
    return entry


@transaction.atomic
def reverse_entry(*, entry: LedgerEntry, description: str, clamp: bool = False) -> LedgerEntry:
    """Cancel an entry with an opposite one. With `clamp`, take back no more than is left."""
    if entry.kind == EntryKind.REVERSE or LedgerEntry.objects.filter(reverses=entry).exists():
        raise LoyaltyError("already_reversed", _("the entry is already reversed"))
    balance = lock_balance(entry.program, entry.customer)
    amount = -entry.amount
    if clamp and balance.points + amount < 0:
        amount = -balance.points
    return append_entry(
        balance=balance,
        amount=amount,
        kind=EntryKind.REVERSE,
        reverses=entry,
        booking=entry.booking,
        description=description,
    )


@transaction.atomic
def forfeit_points_for_unsubscribe(*, customer: Customer) -> list[LedgerEntry]:
    """Delete the points in programs set to do so when the customer unsubscribes (LOY-2)."""
    programs = programs_for(customer.organisation).filter(forfeit_on_unsubscribe=True)
    entries = []
    for program in programs.order_by("pk"):
        balance = lock_balance(program, customer)
        if balance.points > 0:
            entries.append(
                append_entry(
                    balance=balance,
                    amount=-balance.points,
                    kind=EntryKind.FORFEIT,
                    description="unsubscribed from the newsletter",
                )
            )
    return entries


@transaction.atomic
def update_notification_templates(
    *, organisation: Organisation, **templates: str
) -> LoyaltySettings:
    """The texts for automatically added points and for manual changes (LOY-13); a text
    that would not render is refused and nothing is saved."""
    found = settings_for(organisation)
    for name in ("credit_subject", "credit_body", "manual_subject", "manual_body"):
        if name in templates:
            check_template(templates[name])
            setattr(found, name, templates[name])
    found.save()
    return found
