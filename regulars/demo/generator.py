"""Deterministic rows of demo customers and their activity, shaped as database rows.

Customers are generated in blocks of `BLOCK` with one random stream per block (seeded by
the seed and the block number), so a seed gives the same data whatever batch size the
writer uses. A block is made in two passes: first the customers and how active each is,
then (once the writer has reserved ids for customers, sales and ticket orders) their
sales, bookings and tickets. Activity is heavy-tailed (a Lomax/Pareto draw per customer):
a few regulars carry most of the sales.
"""

import datetime
import json
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .catalogue import (
    CAR_MODELS,
    CONSENT_TEXT_EMAIL,
    CONSENT_TEXT_SMS,
    CUSTOMER_GROUPS,
    EMAIL_DOMAINS,
    FEMALE_NAMES,
    FLOORS,
    ITEM_GROUPS,
    LAST_NAMES,
    MALE_NAMES,
    MOBILE_PREFIXES,
    PERMISSIONS,
    PET_KINDS,
    PET_NAMES,
    POSTCODES,
    PRODUCT_ITEMS,
    PRODUCT_WEIGHTS,
    PRODUCTIONS,
    SERVICE_ITEMS,
    SERVICE_WEIGHTS,
    STREETS,
    TAGS,
)
from .world import MINUTES_PER_DAY, Clock, DemoEvent

BLOCK = 1000
SOURCE = "demo"
ALL_ITEMS = SERVICE_ITEMS + PRODUCT_ITEMS
# Scales salon visits so that a customer has ~10 sale lines on average (~2.2 per visit).
VISIT_SCALE = 5.6
PARETO_SHAPE = 1.6
MAX_VISITS = 120
MAX_ORDERS = 40


def _weighted(weights: Sequence[int]) -> list[int]:
    """A look-up list in which index i appears weights[i] times: one random() per draw."""
    return [index for index, weight in enumerate(weights) for _ in range(weight)]


LAST_NAME_TABLE = _weighted([weight for _, weight in LAST_NAMES])
POSTCODE_TABLE = _weighted([row[4] for row in POSTCODES])
DOMAIN_TABLE = _weighted([weight for _, weight in EMAIL_DOMAINS])
SERVICE_TABLE = _weighted(SERVICE_WEIGHTS)
PRODUCT_TABLE = [len(SERVICE_ITEMS) + i for i in _weighted(PRODUCT_WEIGHTS)]
ITEM_GROUP_OF = [ITEM_GROUPS.index(item[2]) for item in ALL_ITEMS]
ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", " ": "", "!": "", ":": ""})


@dataclass
class CatalogueIds:
    """The sink's ids of the fixed rows, by index into the catalogue tuples."""

    organisation: int
    item_groups: list[int]
    items: list[int]  # ALL_ITEMS order
    services: list[int]  # SERVICE_ITEMS order
    productions: list[int]
    events: list[int]  # plan_events order
    customer_groups: list[int]
    tags: list[int]
    permissions: list[int]


@dataclass
class Batch:
    """Rows for each table, in the column order of `COLUMNS`."""

    customer: list[tuple] = field(default_factory=list)
    customer_group: list[tuple] = field(default_factory=list)
    customer_tag: list[tuple] = field(default_factory=list)
    customer_permission: list[tuple] = field(default_factory=list)
    consent: list[tuple] = field(default_factory=list)
    individual: list[tuple] = field(default_factory=list)
    sale: list[tuple] = field(default_factory=list)
    sale_line: list[tuple] = field(default_factory=list)
    booking: list[tuple] = field(default_factory=list)
    ticket_order: list[tuple] = field(default_factory=list)
    ticket: list[tuple] = field(default_factory=list)


# Model field names per table, in row order (the writer maps them to columns).
COLUMNS: dict[str, tuple[str, ...]] = {
    "customer": (
        "id",
        "organisation",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "mobile",
        "gender",
        "birth_date",
        "birth_monthday",
        "address",
        "postcode",
        "postcode_number",
        "city",
        "country",
        "latitude",
        "longitude",
        "language",
        "created_at",
        "updated_at",
        "member",
        "email_consent",
        "sms_consent",
    ),
    "customer_group": ("customer", "customergroup"),
    "customer_tag": ("customer", "tag"),
    "customer_permission": ("customer", "permission", "granted_at"),
    "consent": (
        "organisation",
        "customer",
        "kind",
        "permission",
        "granted",
        "recorded_at",
        "source",
        "text_shown",
        "message_key",
    ),
    "individual": ("organisation", "customer", "external_id", "kind", "attributes"),
    "sale": ("id", "organisation", "receipt_id", "customer", "sold_at", "channel"),
    "sale_line": (
        "organisation",
        "sale",
        "line_number",
        "customer",
        "sold_at",
        "channel",
        "item",
        "item_group",
        "quantity",
        "unit_price_cents",
        "discount_cents",
        "amount_cents",
    ),
    "booking": ("organisation", "external_id", "customer", "service", "start", "end", "status"),
    "ticket_order": ("id", "organisation", "order_id", "customer", "ordered_at", "channel"),
    "ticket": (
        "organisation",
        "order",
        "customer",
        "ordered_at",
        "channel",
        "event",
        "event_start",
        "production",
        "quantity",
        "amount_cents",
    ),
}


@dataclass
class Profile:
    """A customer of a block before ids are known, and how active they are."""

    index: int
    row: tuple  # the customer row without its id
    created: int  # local moment (day * 1440 + minute)
    visits: int
    orders: int
    email_consent: bool
    sms_consent: bool
    groups: list[int]
    tags: list[int]
    permissions: list[int]
    individuals: list[tuple[str, str]]  # (kind, attributes JSON)


Reserve = Callable[[str, int], Sequence[int]]


def customer_external_id(seed: int, index: int) -> str:
    return f"K{seed}-{index + 1:06d}"


class Generator:
    """Makes the rows of customer blocks for one organisation, seed and clock."""

    def __init__(self, *, seed: int, clock: Clock, events: list[DemoEvent], ids: CatalogueIds):
        self.seed = seed
        self.clock = clock
        self.events = events
        self.event_moments = [event.moment for event in events]
        self.ids = ids
        # (item id, item group id, price, is a service) per ALL_ITEMS index
        self.line_facts = [
            (ids.items[i], ids.item_groups[ITEM_GROUP_OF[i]], item[3], i < len(SERVICE_ITEMS))
            for i, item in enumerate(ALL_ITEMS)
        ]
        self.now_stamp = clock.stamp(clock.today, 12 * 60)
        self.birth_years = (clock.dates[clock.today].year - 88, clock.dates[clock.today].year - 16)

    def external_id(self, index: int) -> str:
        return customer_external_id(self.seed, index)

    def block(self, number: int, count: int, reserve: Reserve, batch: Batch) -> None:
        """Append the rows of customers number*BLOCK … number*BLOCK+count-1 to `batch`."""
        rng = random.Random(f"regulars-demo:{self.seed}:{number}")
        profiles = [self._profile(rng, number * BLOCK + i) for i in range(count)]
        customer_ids = reserve("customer", len(profiles))
        sale_ids = iter(reserve("sale", sum(p.visits for p in profiles)))
        order_ids = iter(reserve("ticket_order", sum(p.orders for p in profiles)))
        for profile, customer_id in zip(profiles, customer_ids, strict=True):
            self._customer_rows(profile, customer_id, batch)
            self._salon(rng, profile, customer_id, sale_ids, batch)
            self._venue(rng, profile, customer_id, order_ids, batch)

    # --- pass 1: who the customer is ---------------------------------------------------

    def _profile(self, rng: random.Random, index: int) -> Profile:
        r = rng.random
        gender, first, last = self._name(rng)
        birth_date, birth_monthday = self._birth(rng, index)
        email, mobile, address, postcode, city, lat, lon = self._contact(rng, first, last, index)
        created_day, created_minute, visits, orders = self._activity(rng)
        member = r() < (0.3 if orders else 0.08)
        email_consent = bool(email) and r() < 0.62
        sms_consent = bool(mobile) and r() < 0.45
        row = (
            self.ids.organisation, self.external_id(index), first, last, email, mobile, gender,
            birth_date, birth_monthday, address, postcode, int(postcode), city, "DK", lat, lon,
            "da" if r() < 0.93 else "en", self.clock.stamp(created_day, created_minute),
            self.now_stamp, member, email_consent, sms_consent,
        )  # fmt: skip
        age = None if birth_date is None else self.birth_years[1] + 16 - int(birth_date[:4])
        return Profile(
            index, row, created_day * MINUTES_PER_DAY + created_minute, visits, orders,
            email_consent, sms_consent, self._groups(rng, visits, orders, age),
            self._tags(rng, visits), [p for p in range(len(PERMISSIONS)) if r() < 0.25],
            self._individuals(rng),
        )  # fmt: skip

    @staticmethod
    def _name(rng: random.Random) -> tuple[str, str, str]:
        r = rng.random
        draw = r()
        gender = "female" if draw < 0.55 else "male" if draw < 0.93 else "unknown"
        female = gender == "female" or (gender == "unknown" and r() < 0.5)
        names = FEMALE_NAMES if female else MALE_NAMES
        last = LAST_NAMES[LAST_NAME_TABLE[int(r() * len(LAST_NAME_TABLE))]][0]
        return gender, names[int(r() * len(names))], last

    def _contact(self, rng: random.Random, first: str, last: str, index: int) -> tuple:
        """E-mail, mobile (E.164), street address, postcode, city and a position near it."""
        r = rng.random
        postcode, city, latitude, longitude, _ = POSTCODES[
            POSTCODE_TABLE[int(r() * len(POSTCODE_TABLE))]
        ]
        street = STREETS[int(r() * len(STREETS))]
        address = f"{street} {1 + int(r() * 120)}{FLOORS[int(r() * len(FLOORS))]}"
        email = self._email(rng, first, last, index) if r() < 0.86 else ""
        prefix = MOBILE_PREFIXES[int(r() * len(MOBILE_PREFIXES))]
        mobile = f"+45{prefix}{int(r() * 1e6):06d}" if r() < 0.9 else ""
        lat = round(latitude + (r() - 0.5) * 0.02, 5)
        lon = round(longitude + (r() - 0.5) * 0.03, 5)
        return email, mobile, address, postcode, city, lat, lon

    def _activity(self, rng: random.Random) -> tuple[int, int, int, int]:
        """Creation day and minute, salon visits and ticket orders: a heavy-tailed draw."""
        r, clock = rng.random, self.clock
        window = clock.today - clock.window_start
        if r() < 0.45:
            created_day = int(r() * clock.window_start)  # a customer from before the window
        else:
            created_day = clock.window_start + int(r() * window)
        created_minute = 9 * 60 + int(r() * 600)
        activity = (1.0 - r()) ** (-1.0 / PARETO_SHAPE) - 1.0
        if created_day >= clock.today - 1:
            activity = 0.0  # too new to have bought anything yet
        active_share = (clock.today - max(created_day, clock.window_start)) / window
        visits = int(activity * VISIT_SCALE * active_share + r()) if r() < 0.8 else 0
        orders = int(activity * 1.5 + r()) if r() < 0.35 else 0
        return created_day, created_minute, min(MAX_VISITS, visits), min(MAX_ORDERS, orders)

    def _birth(self, rng: random.Random, index: int) -> tuple[str | None, int | None]:
        if index % 397 == 13:  # a leap-day birthday every few hundred customers
            year = 1960 + 4 * int(rng.random() * 12)
            return f"{year}-02-29", 229
        if rng.random() < 0.16:
            return None, None
        low, high = self.birth_years
        year = low + int(rng.random() * (high - low))
        day = datetime.date(year, 1, 1) + datetime.timedelta(days=int(rng.random() * 365))
        return day.isoformat(), day.month * 100 + day.day

    @staticmethod
    def _email(rng: random.Random, first: str, last: str, index: int) -> str:
        domain = EMAIL_DOMAINS[DOMAIN_TABLE[int(rng.random() * len(DOMAIN_TABLE))]][0]
        local = f"{first}.{last}".lower().translate(ASCII)
        return f"{local}{index % 997}@{domain}" if rng.random() < 0.6 else f"{local}@{domain}"

    @staticmethod
    def _groups(rng: random.Random, visits: int, orders: int, age: int | None) -> list[int]:
        names = []
        if visits >= 12:
            names.append("Stamkunde")
        if visits >= 30 or orders >= 8:
            names.append("VIP")
        if age is not None and age < 26 and rng.random() < 0.5:
            names.append("Studerende")
        if age is not None and age >= 67 and rng.random() < 0.6:
            names.append("Pensionist")
        extra = rng.random()
        if extra < 0.03:
            names.append("Erhverv")
        elif extra < 0.04:
            names.append("Personale")
        elif extra < 0.10:
            names.append("Abonnent")
        return [CUSTOMER_GROUPS.index(name) for name in names]

    @staticmethod
    def _tags(rng: random.Random, visits: int) -> list[int]:
        tags = [t for t in range(len(TAGS)) if rng.random() < 0.05]
        if visits <= 1 and rng.random() < 0.5:
            tags.append(TAGS.index("Ny kunde"))
        return sorted(set(tags))

    @staticmethod
    def _individuals(rng: random.Random) -> list[tuple[str, str]]:
        r = rng.random
        owned = []
        if r() < 0.15:
            make, model = CAR_MODELS[int(r() * len(CAR_MODELS))]
            year = 2008 + int(r() * 18)
            letters = chr(65 + int(r() * 26)) + chr(65 + int(r() * 26))
            plate = f"{letters} {int(r() * 100):02d} {int(r() * 1000):03d}"
            owned.append(
                ("car", {"make": make, "model": model, "year": year, "registration": plate})
            )
        if r() < 0.18:
            species, breeds = PET_KINDS[int(r() * len(PET_KINDS))]
            owned.append(
                (
                    "pet",
                    {
                        "species": species,
                        "breed": breeds[int(r() * len(breeds))],
                        "name": PET_NAMES[int(r() * len(PET_NAMES))],
                        "born": 2010 + int(r() * 15),
                    },
                )
            )
        return [(kind, json.dumps(attributes, ensure_ascii=False)) for kind, attributes in owned]

    # --- pass 2: rows ----------------------------------------------------------------------

    def _customer_rows(self, profile: Profile, customer_id: int, batch: Batch) -> None:
        org = self.ids.organisation
        created = profile.row[17]
        batch.customer.append((customer_id, *profile.row))
        batch.customer_group.extend(
            (customer_id, self.ids.customer_groups[g]) for g in profile.groups
        )
        batch.customer_tag.extend((customer_id, self.ids.tags[t]) for t in profile.tags)
        if profile.email_consent:
            batch.consent.append(
                (org, customer_id, "email", None, True, created, SOURCE, CONSENT_TEXT_EMAIL, "")
            )
        if profile.sms_consent:
            batch.consent.append(
                (org, customer_id, "sms", None, True, created, SOURCE, CONSENT_TEXT_SMS, "")
            )
        for p in profile.permissions:
            permission_id = self.ids.permissions[p]
            batch.customer_permission.append((customer_id, permission_id, created))
            batch.consent.append(
                (
                    org,
                    customer_id,
                    "permission",
                    permission_id,
                    True,
                    created,
                    SOURCE,
                    PERMISSIONS[p][1],
                    "",
                )
            )
        for n, (kind, attributes) in enumerate(profile.individuals):
            batch.individual.append(
                (org, customer_id, f"I{self.seed}-{profile.index + 1}-{n + 1}", kind, attributes)
            )

    def _salon(self, rng, profile: Profile, customer_id: int, sale_ids, batch: Batch) -> None:
        if not profile.visits:
            return
        r = rng.random
        clock, org, line_facts = self.clock, self.ids.organisation, self.line_facts
        first = max(profile.created // MINUTES_PER_DAY + 1, clock.window_start)
        days = sorted(first + int(r() * max(1, clock.today - first)) for _ in range(profile.visits))
        receipt = f"B{self.seed}-{profile.index + 1}-"
        bookings = _Bookings(self, org, customer_id, f"T{self.seed}-{profile.index + 1}-", batch)
        lines_out, sales_out = batch.sale_line.append, batch.sale.append
        for visit, day in enumerate(days, 1):
            sale_id = next(sale_ids)
            if r() < 0.1:  # ad hoc: bought in the web shop, no appointment
                channel, minute = "adhoc", 7 * 60 + int(r() * 900)
                lines = [PRODUCT_TABLE[int(r() * len(PRODUCT_TABLE))]]
            else:
                channel, service = "pos", SERVICE_TABLE[int(r() * len(SERVICE_TABLE))]
                start = 9 * 60 + 15 * int(r() * 32)
                minute = start + SERVICE_ITEMS[service][4]
                lines = [service]
                if r() < 0.5:
                    bookings.add(service, day, start, minute, "completed")
                if r() < 0.07 and day - 3 > first:
                    status = "cancelled" if r() < 0.65 else "no_show"
                    bookings.add(service, day - 3, start, minute, status)
            extra = r()
            while extra < 0.6 and len(lines) < 5:
                lines.append(PRODUCT_TABLE[int(r() * len(PRODUCT_TABLE))])
                extra = r() * 1.15
            stamp = clock.stamp(day, minute)
            discount = r() < 0.08
            sales_out((sale_id, org, f"{receipt}{visit}", customer_id, stamp, channel))
            for number, item in enumerate(lines, 1):
                item_id, group_id, price, is_service = line_facts[item]
                quantity = 1 if is_service or r() < 0.85 else 2
                off = price * quantity // 10 if discount else 0
                lines_out((org, sale_id, number, customer_id, stamp, channel, item_id, group_id,
                           quantity, price, off, price * quantity - off))  # fmt: skip
        if days[-1] > clock.today - 120 and r() < 0.5:
            service = SERVICE_TABLE[int(r() * len(SERVICE_TABLE))]
            day, start = clock.today + 1 + int(r() * 60), 9 * 60 + 15 * int(r() * 32)
            bookings.add(service, day, start, start + SERVICE_ITEMS[service][4], "booked")

    def _venue(self, rng, profile: Profile, customer_id: int, order_ids, batch: Batch) -> None:
        r = rng.random
        clock, ids, org = self.clock, self.ids, self.ids.organisation
        first = max(profile.created // MINUTES_PER_DAY + 1, clock.window_start)
        for n in range(profile.orders):
            order_id = next(order_ids)
            day = first + int(r() * max(1, clock.today - first))
            minute = 7 * 60 + int(r() * 960)
            moment = day * MINUTES_PER_DAY + minute
            lo = bisect_right(self.event_moments, moment + 60)
            hi = bisect_left(self.event_moments, moment + 60 * MINUTES_PER_DAY)
            if lo == len(self.events):
                continue  # nothing left on sale; the reserved id stays unused
            if lo == hi:  # nothing on sale within 60 days: buy the next performance early
                hi = lo + 1
                day = min(max(day, self.events[lo].day - 14), clock.today - 1)
                minute = 7 * 60
            channel = "online" if r() < 0.7 else "boxoffice"
            stamp = clock.stamp(day, minute)
            batch.ticket_order.append(
                (
                    order_id,
                    org,
                    f"O{self.seed}-{profile.index + 1}-{n + 1}",
                    customer_id,
                    stamp,
                    channel,
                )
            )
            picks = {lo + int(r() * (hi - lo)) for _ in range(1 if r() < 0.93 else 2)}
            for event_index in sorted(picks):
                event = self.events[event_index]
                quantity = 1 + int(r() * 4) if r() < 0.6 else 2
                price = PRODUCTIONS[event.production][1]
                batch.ticket.append(
                    (
                        org,
                        order_id,
                        customer_id,
                        stamp,
                        channel,
                        ids.events[event_index],
                        clock.stamp(event.day, event.minute),
                        ids.productions[event.production],
                        quantity,
                        price * quantity,
                    )
                )


class _Bookings:
    """Appends one customer's bookings, numbering them."""

    def __init__(self, generator: Generator, org: int, customer_id: int, prefix: str, batch: Batch):
        self.generator, self.org, self.customer_id = generator, org, customer_id
        self.prefix, self.rows, self.count = prefix, batch.booking, 0

    def add(self, service: int, day: int, start: int, end: int, status: str) -> None:
        self.count += 1
        stamp = self.generator.clock.stamp
        self.rows.append((
            self.org, f"{self.prefix}{self.count}", self.customer_id,
            self.generator.ids.services[service], stamp(day, start), stamp(day, end), status,
        ))  # fmt: skip
