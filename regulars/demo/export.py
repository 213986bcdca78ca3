"""Generated demo data written as import files (SPEC 9.2), without touching a database.

The files feed the import benchmark and show the import format with realistic content.
Timestamps carry an explicit UTC offset, so they mean the same in any organisation.
"""

import csv
import datetime
import time
import zoneinfo
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from .actions import DemoSummary, Progress
from .catalogue import CUSTOMER_GROUPS, ITEM_GROUPS, PERMISSIONS, PRODUCTIONS, TAGS, VENUES
from .generator import ALL_ITEMS, SERVICE_ITEMS, Batch, CatalogueIds
from .producer import Plan, counting_reserve, make_batches
from .world import ISO_TIME, DemoEvent

HEADERS = {
    "customers": (
        "external_id", "first_name", "last_name", "email", "mobile", "gender", "birth_date",
        "address", "postcode", "city", "country", "latitude", "longitude", "created_at",
        "groups", "tags", "member", "email_consent", "sms_consent", "permissions", "language",
    ),
    "sales": (
        "receipt_id", "customer_external_id", "sold_at", "channel", "item_number", "item_name",
        "item_group", "quantity", "unit_price", "discount", "amount",
    ),
    "bookings": ("booking_id", "customer_external_id", "service", "start", "end", "status"),
    "tickets": (
        "order_id", "customer_external_id", "ordered_at", "channel", "production", "event_id",
        "event_start", "venue", "venue_latitude", "venue_longitude", "tickets", "amount",
    ),
    "individuals": ("individual_id", "customer_external_id", "kind", "attributes"),
}  # fmt: skip


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def flag(value: bool) -> str:
    return "true" if value else "false"


def export_demo_data(
    *,
    directory: Path,
    customers: int,
    seed: int = 1,
    months: int = 24,
    today: datetime.date | None = None,
    timezone_name: str = "Europe/Copenhagen",
    batch_customers: int = 20_000,
    progress: Progress | None = None,
) -> DemoSummary:
    """Write customers/sales/bookings/tickets/individuals.csv for the given seed and size."""
    started = time.monotonic()
    tz = zoneinfo.ZoneInfo(timezone_name)
    plan = Plan(
        seed=seed,
        customers=customers,
        batch_customers=batch_customers,
        today=today or datetime.datetime.now(tz).date(),
        months=months,
        timezone_name=timezone_name,
        time_format=ISO_TIME,
        ids=_index_ids(),
        first_ids={"customer": 1, "sale": 1, "ticket_order": 1},
    )
    events = plan.generator().events
    directory.mkdir(parents=True, exist_ok=True)
    summary = DemoSummary()
    with ExitStack() as files:
        writers = {kind: _writer(files, directory / f"{kind}.csv", kind) for kind in HEADERS}
        for batch in make_batches(plan, counting_reserve(plan.first_ids)):
            for kind, rows in _import_rows(batch, events).items():
                writers[kind].writerows(rows)
                summary.rows[kind] += len(rows)
            summary.seconds = time.monotonic() - started
            if progress:
                progress(customers, summary)
    return summary


def _writer(files: ExitStack, path: Path, kind: str) -> Any:
    handle = files.enter_context(path.open("w", newline="", encoding="utf-8"))
    writer = csv.writer(handle)
    writer.writerow(HEADERS[kind])
    return writer


def _index_ids() -> CatalogueIds:
    """Catalogue 'ids' that are the catalogue indices themselves (events: up to 10,000)."""
    return CatalogueIds(
        organisation=0,
        item_groups=list(range(len(ITEM_GROUPS))),
        items=list(range(len(ALL_ITEMS))),
        services=list(range(len(SERVICE_ITEMS))),
        productions=list(range(len(PRODUCTIONS))),
        events=list(range(10_000)),
        customer_groups=list(range(len(CUSTOMER_GROUPS))),
        tags=list(range(len(TAGS))),
        permissions=list(range(len(PERMISSIONS))),
    )


def _import_rows(batch: Batch, events: list[DemoEvent]) -> dict[str, list[tuple]]:
    external = {row[0]: row[2] for row in batch.customer}
    receipts = {row[0]: row[2] for row in batch.sale}
    orders = {row[0]: (row[2], row[3], row[4], row[5]) for row in batch.ticket_order}
    return {
        "customers": _customer_rows(batch),
        "sales": [
            (receipts[sale], external[customer], sold_at, channel, ALL_ITEMS[item][0],
             ALL_ITEMS[item][1], ITEM_GROUPS[group], quantity, money(price), money(off),
             money(amount))
            for _, sale, _, customer, sold_at, channel, item, group, quantity, price, off, amount
            in batch.sale_line
        ],
        "bookings": [
            (booking_id, external[customer], SERVICE_ITEMS[service][1], start, end, status)
            for _, booking_id, customer, service, start, end, status in batch.booking
        ],
        "tickets": [_ticket_row(row, orders, external, events) for row in batch.ticket],
        "individuals": [
            (individual_id, external[customer], kind, attributes)
            for _, customer, individual_id, kind, attributes in batch.individual
        ],
    }  # fmt: skip


def _customer_rows(batch: Batch) -> list[tuple]:
    groups: dict[int, list[str]] = {}
    tags: dict[int, list[str]] = {}
    permissions: dict[int, list[str]] = {}
    for customer, group in batch.customer_group:
        groups.setdefault(customer, []).append(CUSTOMER_GROUPS[group])
    for customer, tag in batch.customer_tag:
        tags.setdefault(customer, []).append(TAGS[tag])
    for customer, permission, _ in batch.customer_permission:
        permissions.setdefault(customer, []).append(PERMISSIONS[permission][0])
    return [
        (row[2], row[3], row[4], row[5], row[6], row[7], row[8] or "", row[10], row[11],
         row[13], row[14], row[15], row[16], row[18], ";".join(groups.get(row[0], ())),
         ";".join(tags.get(row[0], ())), flag(row[20]), flag(row[21]), flag(row[22]),
         ";".join(permissions.get(row[0], ())), row[17])
        for row in batch.customer
    ]  # fmt: skip


def _ticket_row(row: tuple, orders: dict, external: dict, events: list[DemoEvent]) -> tuple:
    _, order, customer, _, _, event_index, event_start, _, quantity, amount = row
    order_id, _, ordered_at, channel = orders[order]
    event = events[event_index]
    venue, latitude, longitude = VENUES[event.venue]
    return (
        order_id, external[customer], ordered_at, channel, PRODUCTIONS[event.production][0],
        event.external_id, event_start, venue, latitude, longitude, quantity, money(amount),
    )  # fmt: skip
