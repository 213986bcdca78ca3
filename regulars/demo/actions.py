"""Writes of demo data: the catalogue of a demo salon and venue, then customers in bulk."""

import datetime
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from regulars.commerce.models import Event, Item, ItemGroup, Production, Service, Venue
from regulars.customers.models import Customer, CustomerGroup, Permission, Tag
from regulars.orgs.models import Organisation

from .catalogue import CUSTOMER_GROUPS, ITEM_GROUPS, PERMISSIONS, PRODUCTIONS, TAGS, VENUES
from .generator import ALL_ITEMS, BLOCK, SERVICE_ITEMS, Batch, CatalogueIds, Generator
from .sql import MODELS, DatabaseSink
from .world import Clock, DemoEvent, plan_events

DEFAULT_BATCH_CUSTOMERS = 20_000


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
    progress: Progress | None = None,
) -> DemoSummary:
    """Add `customers` generated customers with `months` of activity up to `today`.

    The same seed, size and day give the same rows. Each batch of customers is one
    transaction; the catalogue (items, services, venues, events …) is shared and reused.
    Raises DemoDataExists when this seed's customers are already there.
    """
    started = time.monotonic()
    sink = DatabaseSink()
    clock = Clock(
        today=today or timezone.localdate(timezone=organisation.tz),
        months=months,
        tz=organisation.tz,
        time_format=sink.time_format,
    )
    events = plan_events(clock=clock, seed=seed)
    generator = Generator(
        seed=seed, clock=clock, events=events, ids=ensure_catalogue(organisation, clock, events)
    )
    if Customer.objects.filter(
        organisation=organisation, external_id=generator.external_id(0)
    ).exists():
        raise DemoDataExists(f"{organisation.slug} already has the demo customers of seed {seed}")
    summary = DemoSummary()
    blocks_per_batch = max(1, batch_customers // BLOCK)
    with sink.tuned():
        for first_block in range(0, _blocks(customers), blocks_per_batch):
            batch = Batch()
            with transaction.atomic():
                sink.begin_batch()
                for number in range(
                    first_block, min(first_block + blocks_per_batch, _blocks(customers))
                ):
                    count = min(BLOCK, customers - number * BLOCK)
                    generator.block(number, count, sink.reserve, batch)
                sink.write(batch)
            summary.rows.update({table: len(getattr(batch, table)) for table in MODELS})
            summary.seconds = time.monotonic() - started
            if progress:
                progress(customers, summary)
    return summary


def _blocks(customers: int) -> int:
    return -(-customers // BLOCK)


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
