"""Writes of demo data: the catalogue of a demo salon and venue, then customers in bulk."""

import datetime
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from regulars.commerce.models import Event, Item, ItemGroup, Production, Service, Venue
from regulars.commerce.totals import refresh_purchase_totals
from regulars.customers.models import Customer, CustomerGroup, Permission, Tag
from regulars.orgs.actions import add_staff_user, create_organisation
from regulars.orgs.models import Organisation, Role

from . import sql
from .catalogue import CUSTOMER_GROUPS, ITEM_GROUPS, PERMISSIONS, PRODUCTIONS, TAGS, VENUES
from .generator import ALL_ITEMS, SERVICE_ITEMS, Batch, CatalogueIds, customer_external_id
from .models import SuspendedIndex
from .producer import Plan, batches_from_child, make_batches
from .sql import MODELS, DatabaseSink
from .world import Clock, DemoEvent, plan_events

DEFAULT_BATCH_CUSTOMERS = 20_000
# From this size on, secondary indexes are dropped during the load and rebuilt after it.
BULK_FROM_CUSTOMERS = 100_000


class DemoDataExists(ValueError):
    """The organisation already holds the demo customers of this seed."""


@dataclass
class DemoSummary:
    """Rows written per table and the time it took."""

    rows: Counter = field(default_factory=Counter)
    seconds: float = 0.0


Progress = Callable[[int, DemoSummary], None]


def generate_demo_data(
    *,
    organisation: Organisation,
    customers: int,
    seed: int = 1,
    months: int = 24,
    today: datetime.date | None = None,
    batch_customers: int = DEFAULT_BATCH_CUSTOMERS,
    bulk: bool | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Add `customers` generated customers with `months` of activity up to `today`.

    The same seed, size and day give the same rows. Each batch of customers is one
    transaction; the catalogue (items, services, venues, events …) is shared and reused.
    `bulk` (default: from BULK_FROM_CUSTOMERS customers on) suspends the secondary indexes
    of the tables written and rebuilds them at the end, also when the load fails.
    Raises DemoDataExists when this seed's customers are already there.
    """
    started = time.monotonic()
    restore_indexes()
    sink = DatabaseSink()
    today = today or timezone.localdate(timezone=organisation.tz)
    clock = Clock(today=today, months=months, tz=organisation.tz, time_format=sink.time_format)
    ids = ensure_catalogue(organisation, clock, plan_events(clock=clock, seed=seed))
    if Customer.objects.filter(
        organisation=organisation, external_id=customer_external_id(seed, 0)
    ).exists():
        raise DemoDataExists(f"{organisation.slug} already has the demo customers of seed {seed}")
    plan = Plan(
        seed=seed,
        customers=customers,
        batch_customers=batch_customers,
        today=today,
        months=months,
        timezone_name=organisation.timezone,
        time_format=sink.time_format,
        ids=ids,
        **sink.id_sources(),
    )
    summary = DemoSummary()
    bulk = customers >= BULK_FROM_CUSTOMERS if bulk is None else bulk
    if bulk:
        suspend_indexes()
    try:
        with sink.tuned():
            # Bulk: rows are made in a child process while this one writes.
            batches = batches_from_child(plan) if bulk else make_batches(plan, sink.reserver(plan))
            for batch in batches:
                _write(organisation, sink, batch, bulk)
                summary.rows.update({table: len(getattr(batch, table)) for table in MODELS})
                summary.seconds = time.monotonic() - started
                if progress:
                    progress(customers, summary)
    finally:
        if bulk:
            restore_indexes()
            refresh_purchase_totals(organisation=organisation)
            sql.analyze([model._meta.db_table for model in MODELS.values()])
    summary.seconds = time.monotonic() - started
    return summary


@transaction.atomic
def _write(organisation: Organisation, sink: DatabaseSink, batch: Batch, bulk: bool) -> None:
    """One batch in one transaction, with its customers' purchase totals; a bulk load
    (indexes suspended) fills the totals once at the end instead."""
    sql.skip_row_triggers_in_transaction(bulk)
    sink.write(batch)
    sql.skip_row_triggers_in_transaction(False)
    if not bulk:
        customer_ids = [row[0] for row in batch.customer]
        refresh_purchase_totals(organisation=organisation, customer_ids=customer_ids)


def suspend_indexes() -> None:
    """Drop the secondary indexes of the generated tables, saving their definitions first."""
    with transaction.atomic():
        for model in MODELS.values():
            table = model._meta.db_table
            for name, definition in sql.secondary_indexes(table):
                SuspendedIndex.objects.get_or_create(
                    name=name, defaults={"table": table, "definition": definition}
                )
    with transaction.atomic():
        for suspended in SuspendedIndex.objects.all():
            sql.drop_index(suspended.name)


def restore_indexes() -> int:
    """Rebuild every suspended index (also those of an interrupted load); returns how many."""
    rebuilt = 0
    for suspended in SuspendedIndex.objects.order_by("id"):
        with transaction.atomic():
            sql.create_index(suspended.definition)
            suspended.delete()
        rebuilt += 1
    return rebuilt


@transaction.atomic
def ensure_catalogue(
    organisation: Organisation, clock: Clock, events: list[DemoEvent]
) -> CatalogueIds:
    """Create (or find) the organisation's demo items, services, venues and events."""
    groups = [
        ItemGroup.objects.get_or_create(organisation=organisation, name=n)[0] for n in ITEM_GROUPS
    ]
    items = [
        Item.objects.update_or_create(
            organisation=organisation,
            number=number,
            defaults={
                "name": name,
                "group": groups[ITEM_GROUPS.index(group)],
                "price_cents": price,
            },
        )[0]
        for number, name, group, price, _ in ALL_ITEMS
    ]
    services = [
        Service.objects.get_or_create(organisation=organisation, name=s[1])[0]
        for s in SERVICE_ITEMS
    ]
    venues = [
        Venue.objects.update_or_create(
            organisation=organisation, name=name, defaults={"latitude": lat, "longitude": lon}
        )[0]
        for name, lat, lon in VENUES
    ]
    productions = [
        Production.objects.get_or_create(organisation=organisation, name=p[0])[0]
        for p in PRODUCTIONS
    ]
    return CatalogueIds(
        organisation=organisation.pk,
        item_groups=[g.pk for g in groups],
        items=[i.pk for i in items],
        services=[s.pk for s in services],
        productions=[p.pk for p in productions],
        events=[_event(organisation, clock, e, productions, venues) for e in events],
        customer_groups=[
            CustomerGroup.objects.get_or_create(organisation=organisation, name=n)[0].pk
            for n in CUSTOMER_GROUPS
        ],
        tags=[Tag.objects.get_or_create(organisation=organisation, name=n)[0].pk for n in TAGS],
        permissions=[
            Permission.objects.update_or_create(
                organisation=organisation, name=n, defaults={"text": t}
            )[0].pk
            for n, t in PERMISSIONS
        ],
    )


def _event(organisation, clock: Clock, event: DemoEvent, productions, venues) -> int:
    local = datetime.datetime.combine(
        clock.dates[event.day],
        datetime.time(event.minute // 60, event.minute % 60),
        tzinfo=organisation.tz,
    )
    row, _ = Event.objects.update_or_create(
        organisation=organisation,
        external_id=event.external_id,
        defaults={
            "production": productions[event.production],
            "venue": venues[event.venue],
            "start": local,
        },
    )
    return row.pk


DEMO_SLUG = "demo"
DEMO_NAME = "Salon & Scene Demo"
DEMO_USERNAME = "demo"
DEMO_PROFILE = {
    "address": "Frederiksgade 42",
    "postcode": "8000",
    "city": "Aarhus C",
    "email": "hej@salonogscene.example",
    "phone": "+4586123456",
    "website": "https://salonogscene.example",
}


def ensure_demo_organisation(
    *,
    customers: int,
    seed: int = 1,
    today: datetime.date | None = None,
    progress: Progress | None = None,
) -> tuple[Organisation, DemoSummary | None]:
    """The demo organisation with its generated data; generates only what is missing.

    Returns the organisation and the summary of what was generated (None: already there).
    """
    organisation = Organisation.objects.filter(slug=DEMO_SLUG).first()
    if organisation is None:
        organisation = create_organisation(slug=DEMO_SLUG, name=DEMO_NAME)
        Organisation.objects.filter(pk=organisation.pk).update(**DEMO_PROFILE)
    try:
        summary = generate_demo_data(
            organisation=organisation,
            customers=customers,
            seed=seed,
            today=today,
            progress=progress,
        )
    except DemoDataExists:
        summary = None
    return organisation, summary


@transaction.atomic
def ensure_demo_owner(*, organisation: Organisation, password_file: Path) -> tuple[str, str]:
    """The demo owner's username and password, the password kept in `password_file`.

    The password is generated once (the file is private to its owner) and reused, so the
    credentials printed by every `regulars demo` stay the same.
    """
    if password_file.exists():
        password = password_file.read_text().strip()
    else:
        password = secrets.token_urlsafe(9)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password)
        password_file.chmod(0o600)
    membership = add_staff_user(
        organisation=organisation,
        username=DEMO_USERNAME,
        role=Role.OWNER,
        password=password,
        email="demo@salonogscene.example",
    )
    user = membership.user
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return DEMO_USERNAME, password
