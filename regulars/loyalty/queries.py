"""Reads: which programs apply, the terms in force on a day, balances and history."""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from . import sql
from .errors import NotFound
from .models import Balance, EntryKind, LedgerEntry, Program


@dataclass(frozen=True)
class Terms:
    points_earned: int
    point_price: int
    purchasable_for_points: bool


def local_date(organisation: Organisation, at: datetime.datetime) -> datetime.date:
    return at.astimezone(organisation.tz).date()


def programs_for(organisation: Organisation) -> QuerySet[Program]:
    """The organisation's own programs and the supplier programs it uses (LOY-12)."""
    if organisation.supplier_id is None:
        return Program.objects.filter(organisation=organisation)
    used = Q(
        organisation_id=organisation.supplier_id,
        uses__dealer=organisation,
        uses__active=True,
    )
    return Program.objects.filter(Q(organisation=organisation) | used).distinct()


def active_programs(organisation: Organisation) -> list[Program]:
    """`programs_for(organisation)` that are active, by id (one hand-written query)."""
    return sql.active_programs(organisation)


def program_for(organisation: Organisation, program_id: int) -> Program:
    program = programs_for(organisation).filter(pk=program_id).first()
    if program is None:
        raise NotFound("program")
    return program


def own_program(organisation: Organisation, program_id: int) -> Program:
    program = Program.objects.filter(organisation=organisation, pk=program_id).first()
    if program is None:
        raise NotFound("program")
    return program


def _within(day: datetime.date, start: datetime.date | None, end: datetime.date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


def earns_on(program: Program, day: datetime.date) -> bool:
    return program.active and _within(day, program.earn_from, program.earn_until)


def redeems_on(program: Program, day: datetime.date) -> bool:
    return program.active and _within(day, program.redeem_from, program.redeem_until)


def customer_may_earn(program: Program, customer: Customer, channel: str) -> bool:
    if program.newsletter_required and not (customer.email_consent or customer.sms_consent):
        return False
    return channel != "adhoc" or program.earn_on_adhoc


@dataclass(frozen=True)
class ItemTerms:
    """An item's standard terms in a program and the time-limited periods overriding them."""

    standard: Terms
    periods: tuple[tuple[datetime.date, datetime.date, Terms], ...]

    def on(self, day: datetime.date) -> Terms:
        """The terms on a local day: a period in force overrides the standard."""
        for starts_on, ends_on, terms in self.periods:
            if starts_on <= day <= ends_on:
                return terms
        return self.standard


def item_terms(rows: list[tuple]) -> dict[tuple[int, str], ItemTerms]:
    """Terms by (program id, item number), periods included, from the rows of
    `sql.items_and_terms` (supplier rules match dealers' items by number)."""
    standard: dict[tuple[int, str], Terms] = {}
    periods: dict[tuple[int, str], list] = {}
    for row in rows:
        key = (row[0], row[1])
        standard[key] = Terms(row[2], row[3], bool(row[4]))
        periods.setdefault(key, [])
        if row[5] is not None:
            periods[key].append((row[5], row[6], Terms(row[7], row[8], bool(row[9]))))
    return {key: ItemTerms(standard[key], tuple(periods[key])) for key in standard}


def balances_of(customer: Customer, programs: list[Program]) -> dict[int, int]:
    rows = Balance.objects.filter(customer=customer, program__in=programs)
    found = {b.program_id: b.points for b in rows}
    return {p.pk: found.get(p.pk, 0) for p in programs}


def customer_by_ref(
    organisation: Organisation, *, customer_id: int | None = None, external_id: str | None = None
) -> Customer | None:
    """The organisation's (not erased) customer by id or external id; None when none given."""
    if customer_id is None and not external_id:
        return None
    lookup = {"pk": customer_id} if customer_id is not None else {"external_id": external_id}
    customer = Customer.objects.filter(
        organisation=organisation, erased_at__isnull=True, **lookup
    ).first()
    if customer is None:
        raise NotFound("customer")
    return customer


def till_customer(
    organisation: Organisation, *, customer_id: int | None = None, external_id: str | None = None
) -> Customer | None:
    """`customer_by_ref` for the till: one hand-written query, the columns a sale reads."""
    if customer_id is None and not external_id:
        return None
    customer = sql.till_customer(organisation.pk, customer_id, external_id)
    if customer is None:
        raise NotFound("customer")
    return customer


def history(customer: Customer, programs: list[Program] | None = None) -> QuerySet[LedgerEntry]:
    entries = LedgerEntry.objects.filter(
        customer=customer, organisation_id=customer.organisation_id
    )
    if programs is not None:
        entries = entries.filter(program__in=programs)
    return entries.select_related("program", "sale_line__sale", "sale_line__item").order_by(
        "-created_at", "-id"
    )


def entries_report(
    organisation: Organisation,
    *,
    program: Program | None = None,
    kind: str = "",
    customer: Customer | None = None,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> QuerySet[LedgerEntry]:
    """All earned and spent points of the organisation's customers, filtered (LOY-11)."""
    entries = LedgerEntry.objects.filter(organisation=organisation)
    if program is not None:
        entries = entries.filter(program=program)
    if kind:
        entries = entries.filter(kind=kind)
    if customer is not None:
        entries = entries.filter(customer=customer)
    if start is not None:
        entries = entries.filter(created_at__gte=start)
    if end is not None:
        entries = entries.filter(created_at__lt=end)
    return entries.select_related(
        "program", "customer", "sale_line__sale", "sale_line__item", "booking__service"
    ).order_by("-created_at", "-id")


def redeemed_report(
    organisation: Organisation, program: Program, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[LedgerEntry]:
    """Points spent on items in a period: date, receipt, item, quantity, points (LOY-7)."""
    return (
        LedgerEntry.objects.filter(
            organisation=organisation,
            program=program,
            kind=EntryKind.REDEEM,
            sale_line__isnull=False,
            created_at__gte=start,
            created_at__lt=end,
        )
        .select_related("sale_line__sale", "sale_line__item")
        .order_by("created_at", "id")
    )


def dealer_totals(supplier: Organisation, program: Program) -> list[dict]:
    """Per dealer: points earned and redeemed under the supplier's program, no customers."""
    rows = (
        LedgerEntry.objects.filter(program=program, program__organisation=supplier)
        .values("organisation__name")
        .annotate(
            earned=Sum("amount", filter=Q(amount__gt=0)),
            spent=Sum("amount", filter=Q(amount__lt=0)),
        )
        .order_by("organisation__name")
    )
    return [
        {
            "dealer": r["organisation__name"],
            "earned": r["earned"] or 0,
            "spent": -(r["spent"] or 0),
        }
        for r in rows
    ]
