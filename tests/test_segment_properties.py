"""Property test: the SQL compiler and the plain-Python reference agree on every tree.

Random customers, sales, bookings, tickets and individuals are written to the real
database (SQLite or PostgreSQL), random rule trees are compiled, and the member sets —
of the whole tree and of every criterion alone — must be identical.
"""

import datetime
import os

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from regulars.commerce.models import Service
from regulars.customers.models import CustomerGroup, Permission, Tag
from regulars.segments.engine import compile_rules, count_rules
from tests import segment_support as build
from tests.segment_reference import World

# Moments near the awkward days: DST changes, New Year, leap days.
MOMENTS = [
    "2026-03-29 12:00",
    "2026-10-25 02:30",
    "2026-12-31 23:30",
    "2027-01-01 00:30",
    "2027-02-28 10:00",
    "2028-02-29 08:00",
    "2028-03-01 00:00",
]
NAMES = {"groups": ["VIP", "Staff"], "tags": ["Flag", "Blue"], "permissions": ["Photos"]}
ITEMS = [("100", "Hair"), ("200", "Hair"), ("300", "Nails")]
SERVICES = ["Cut", "Colour"]
EVENTS = [("E1", "Hamlet"), ("E2", "Hamlet"), ("E3", "Lear")]
VENUE = ("Musikhuset", (56.15, 10.2))

EXAMPLES = int(os.environ.get("SEGMENT_EXAMPLES", "150"))
DAY = 24 * 60
# Offsets in minutes from `at`: exact multiples of a day hit the period edges.
offsets = st.one_of(
    st.integers(-70 * DAY, 40 * DAY),
    st.integers(-40, 20).map(lambda days: days * DAY),
    st.integers(-40, 20).map(lambda days: days * DAY + 1),
)
birth_dates = st.one_of(
    st.none(),
    st.sampled_from(["1992-02-29", "2000-02-28", "1999-03-01", "1985-12-31", "2010-01-01"]),
    st.dates(datetime.date(1930, 1, 1), datetime.date(2027, 12, 31)).map(str),
)
people = st.fixed_dictionaries(
    {
        "gender": st.sampled_from(["female", "male", "unknown"]),
        "birth_date": birth_dates,
        "postcode": st.sampled_from(["", "8000", "8210", "8211", "9000", "DK-1"]),
        "position": st.one_of(st.none(), st.tuples(st.floats(55.0, 57.5), st.floats(8.0, 12.7))),
        "member": st.booleans(),
        "email": st.sampled_from(["", "a@example.com"]),
        "mobile": st.sampled_from(["", "+4512345678"]),
        "email_consent": st.booleans(),
        "sms_consent": st.booleans(),
        "created": offsets,
        "erased": st.sampled_from([False, False, False, True]),
        "groups": st.lists(st.sampled_from(NAMES["groups"]), max_size=2, unique=True),
        "tags": st.lists(st.sampled_from(NAMES["tags"]), max_size=2, unique=True),
        "permissions": st.lists(st.sampled_from(NAMES["permissions"]), max_size=1),
        "individual": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "make": st.sampled_from(["Tesla", "tesla", "Volvo", 7, None]),
                    "year": st.sampled_from([2019, 2021.5, "2020", True]),
                }
            ),
        ),
    }
)
sale_lines = st.tuples(
    st.integers(0, 7),
    offsets,
    st.sampled_from(["pos", "adhoc"]),
    st.integers(0, len(ITEMS) - 1),
    st.integers(-5000, 60000),
)
bookings = st.tuples(
    st.integers(0, 7),
    st.sampled_from(SERVICES),
    offsets,
    st.sampled_from(["booked", "completed", "cancelled", "no_show"]),
)
ticket_rows = st.tuples(
    st.integers(0, 7),
    offsets,
    st.sampled_from(["online", "boxoffice"]),
    st.integers(0, len(EVENTS) - 1),
    st.integers(1, 4),
    st.integers(0, 80000),
)
worlds = st.fixed_dictionaries(
    {
        "at": st.sampled_from(MOMENTS),
        "people": st.lists(people, min_size=1, max_size=8),
        "sales": st.lists(sale_lines, max_size=10),
        "bookings": st.lists(bookings, max_size=5),
        "tickets": st.lists(ticket_rows, max_size=8),
        "event_offsets": st.lists(offsets, min_size=3, max_size=3),
    }
)

days_back = st.integers(0, 60)
periods = st.one_of(
    st.builds(lambda n: {"last_days": n}, days_back),
    st.builds(lambda n: {"next_days": n}, days_back),
    st.tuples(st.integers(-70, 40), st.integers(0, 40)).map(
        lambda p: {"from_offset": p[0], "length": p[1]}
    ),
)
channels = st.sampled_from(["all", "pos", "adhoc"])
money = st.one_of(st.integers(-50, 800), st.sampled_from([0, 0.01, 99.99, 150.5]))


def ordered_range(criterion):
    """Swap min and max when generated the wrong way round."""
    if criterion.get("min", -1e9) > criterion.get("max", 1e9):
        criterion["min"], criterion["max"] = criterion["max"], criterion["min"]
    return criterion


CRITERIA = [
    st.fixed_dictionaries(
        {
            "type": st.just("gender"),
            "values": st.lists(
                st.sampled_from(["female", "male", "unknown"]), min_size=1, unique=True
            ),
        }
    ),
    st.tuples(st.integers(-40, 40), st.integers(0, 40), st.sampled_from(["days", "months"])).map(
        lambda b: {
            "type": "birthday",
            "from": b[0] if b[2] == "days" else b[0] // 4,
            "to": (b[0] + b[1]) if b[2] == "days" else b[0] // 4 + b[1] // 4,
            "unit": b[2],
        }
    ),
    st.fixed_dictionaries({"type": st.just("created"), "period": periods}),
    st.tuples(st.integers(7990, 8300), st.integers(0, 300)).map(
        lambda p: {"type": "postcode", "from": p[0], "to": p[0] + p[1]}
    ),
    st.fixed_dictionaries(
        {"type": st.just("booking"), "period": periods},
        optional={"services": st.lists(st.sampled_from(SERVICES), min_size=1)},
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("customer_group"),
            "groups": st.lists(st.sampled_from(NAMES["groups"]), min_size=1),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("bought_item"),
            "items": st.lists(st.sampled_from([number for number, _ in ITEMS]), min_size=1),
        },
        optional={"period": periods, "channel": channels},
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("bought_item_group"),
            "groups": st.lists(st.sampled_from(["Hair", "Nails"]), min_size=1),
        },
        optional={"period": periods, "channel": channels},
    ),
    st.fixed_dictionaries(
        {"type": st.just("revenue")},
        optional={
            "min": money,
            "max": money,
            "item_group": st.sampled_from(["Hair", "Nails"]),
            "period": periods,
            "channel": channels,
        },
    ).map(ordered_range),
    st.fixed_dictionaries(
        {"type": st.just("event")},
        optional={
            "events": st.lists(st.sampled_from([e for e, _ in EVENTS]), min_size=1),
            "productions": st.lists(st.sampled_from(["Hamlet", "Lear"]), min_size=1),
            "days_back": days_back,
        },
    ),
    st.tuples(st.integers(0, 90), st.integers(0, 40)).map(
        lambda a: {"type": "age", "min": a[0], "max": a[0] + a[1]}
    ),
    st.fixed_dictionaries({"type": st.just("age")}, optional={"min": st.integers(0, 90)}),
    st.fixed_dictionaries({"type": st.just("impulsive"), "max_days": st.integers(0, 30)}),
    st.fixed_dictionaries(
        {
            "type": st.just("sales_type"),
            "value": st.sampled_from(["online", "boxoffice", "both", "all"]),
        }
    ),
    st.just({"type": "member"}),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["ticket_count", "event_count", "order_count", "ticket_revenue"]
            ),
            "op": st.sampled_from(["gte", "eq"]),
            "value": st.integers(0, 6),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("last_purchase"),
            "mode": st.sampled_from(["within", "exactly", "not_within"]),
            "days": st.integers(0, 60),
        }
    ),
    st.fixed_dictionaries({"type": st.just("permission"), "permissions": st.just(["Photos"])}),
    st.fixed_dictionaries(
        {"type": st.just("tag"), "tags": st.lists(st.sampled_from(NAMES["tags"]), min_size=1)}
    ),
    st.fixed_dictionaries(
        {"type": st.just("distance"), "venue": st.just(VENUE[0]), "max_km": st.floats(0, 300)}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("individual"),
            "kind": st.just("car"),
            "attribute": st.sampled_from(["make", "year"]),
            "op": st.sampled_from(["eq", "neq", "contains", "gte", "lte"]),
            "value": st.sampled_from(["Tesla", "esl", "2020", 2020, 2019, 7]),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("consent"), "channel": st.sampled_from(["email", "sms"])}
    ),
]
criteria = st.tuples(st.one_of(CRITERIA), st.booleans()).map(
    lambda c: {**c[0], "opposite": True} if c[1] else c[0]
)


def groups(children):
    return st.fixed_dictionaries(
        {
            "match": st.sampled_from(["all", "any"]),
            "criteria": st.lists(children, min_size=1, max_size=3),
        },
        optional={"opposite": st.booleans(), "exclude": st.lists(criteria, max_size=2)},
    )


trees = groups(st.recursive(criteria, groups, max_leaves=4))


def place_periods(node, today):
    """Turn generated relative day offsets into the `from`/`to` dates the rules need."""
    if isinstance(node, dict):
        if "from_offset" in node:
            first = today + datetime.timedelta(days=node["from_offset"])
            last = first + datetime.timedelta(days=node["length"])
            return {"from": first.isoformat(), "to": last.isoformat()}
        return {key: place_periods(value, today) for key, value in node.items()}
    if isinstance(node, list):
        return [place_periods(value, today) for value in node]
    return node


def write_world(organisation, world, at):
    def when(minutes):
        return at + datetime.timedelta(minutes=minutes)

    for name in NAMES["groups"]:
        CustomerGroup.objects.create(organisation=organisation, name=name)
    for name in NAMES["tags"]:
        Tag.objects.create(organisation=organisation, name=name)
    photos = Permission.objects.create(organisation=organisation, name="Photos")
    for name in SERVICES:
        Service.objects.create(organisation=organisation, name=name)
    customers = []
    for spec in world["people"]:
        latitude, longitude = spec["position"] or (None, None)
        person = build.customer(
            organisation,
            gender=spec["gender"],
            birth_date=spec["birth_date"],
            postcode=spec["postcode"],
            latitude=latitude,
            longitude=longitude,
            member=spec["member"],
            email=spec["email"],
            mobile=spec["mobile"],
            email_consent=spec["email_consent"],
            sms_consent=spec["sms_consent"],
            created_at=when(spec["created"]),
            erased_at=at if spec["erased"] else None,
        )
        person.groups.set(
            CustomerGroup.objects.filter(organisation=organisation, name__in=spec["groups"])
        )
        person.tags.set(Tag.objects.filter(organisation=organisation, name__in=spec["tags"]))
        if spec["permissions"]:
            build.grant(person, photos, at)
        if spec["individual"] is not None:
            build.individual(
                person, "car", {k: v for k, v in spec["individual"].items() if v is not None}
            )
        customers.append(person)
    items = [build.item(organisation, number, group) for number, group in ITEMS]
    for owner, minutes, channel, index, cents in world["sales"]:
        build.sale(
            customers[owner % len(customers)],
            when(minutes),
            [(items[index], cents)],
            channel=channel,
        )
    for owner, service, minutes, status in world["bookings"]:
        build.booking(customers[owner % len(customers)], service, when(minutes), status)
    events = [
        build.event(organisation, production, when(minutes), VENUE[0], VENUE[1], external_id=key)
        for (key, production), minutes in zip(EVENTS, world["event_offsets"], strict=True)
    ]
    for owner, minutes, channel, index, quantity, cents in world["tickets"]:
        build.ticket_order(
            customers[owner % len(customers)],
            when(minutes),
            [(events[index], quantity, cents)],
            channel=channel,
        )


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # No shrinking: the notes print the failing world and rules as generated.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds, tree=trees)
def test_compiler_agrees_with_reference(org, other_org, world, tree):
    at = build.moment(org, world["at"])
    rules = place_periods(tree, at.astimezone(org.tz).date())
    note(f"rules={rules!r}")
    note(f"world={world!r}")
    try:
        with transaction.atomic():
            write_world(org, world, at)
            # The same facts in another organisation must stay invisible.
            write_world(other_org, world, at)
            reference = World(org)
            expected = reference.members(rules, at)
            assert {c.pk for c in compile_rules(org, rules, at)} == expected
            counts = count_rules(org, rules, at)
            assert counts["total"] == len(expected)
            for entry, item in zip(counts["criteria"], rules["criteria"], strict=True):
                alone = reference.members({"match": "all", "criteria": [item]}, at)
                assert entry["count"] == len(alone), item
            raise Rollback
    except Rollback:
        pass
