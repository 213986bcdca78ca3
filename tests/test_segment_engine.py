"""The segment compiler: every criterion type with exact expectations, and bad input."""

import json
import math

import pytest

from regulars.customers.models import Customer, CustomerGroup, Permission, Tag
from regulars.segments.engine import (
    RuleError,
    compile_rules,
    count_rules,
    reachable_by,
    validate_rules,
)
from tests.segment_support import (
    booking,
    customer,
    event,
    grant,
    individual,
    item,
    moment,
    sale,
    ticket_order,
)


def members(organisation, rules, at=None):
    return sorted(c.external_id for c in compile_rules(organisation, rules, at))


def one(criterion, match="all"):
    return {"match": match, "criteria": [criterion]}


@pytest.fixture
def people(org, other_org):
    """Five salon customers and an other-org twin of the first who must never show."""
    made = {
        "ann": customer(
            org,
            external_id="ann",
            gender="female",
            birth_date="1992-02-29",
            email="ann@example.com",
            email_consent=True,
            postcode="8000",
        ),
        "ben": customer(
            org,
            external_id="ben",
            gender="male",
            birth_date="1985-12-31",
            mobile="+4512345678",
            sms_consent=True,
            postcode="8210",
        ),
        "cat": customer(
            org, external_id="cat", gender="unknown", postcode="DK-9000", email="cat@example.com"
        ),
        "dan": customer(
            org,
            external_id="dan",
            gender="male",
            birth_date="2010-01-02",
            member=True,
            postcode="8211",
        ),
        "eve": customer(
            org,
            external_id="eve",
            gender="female",
            birth_date="1970-06-15",
            email="eve@example.com",
            email_consent=True,
            sms_consent=True,
            mobile="+4587654321",
        ),
    }
    customer(
        other_org,
        external_id="ann",
        gender="female",
        birth_date="1992-02-29",
        email="ann@example.com",
        email_consent=True,
        postcode="8000",
    )
    return made


ALL = ["ann", "ben", "cat", "dan", "eve"]


def test_gender_and_its_opposite_cover_everyone_once(org, people):
    female = one({"type": "gender", "values": ["female"]})
    male_or_unknown = one({"type": "gender", "values": ["female"], "opposite": True})
    assert members(org, female) == ["ann", "eve"]
    assert members(org, male_or_unknown) == ["ben", "cat", "dan"]


def test_erased_customers_never_match(org, people):
    people["eve"].erased_at = moment(org, "2026-01-01 00:00")
    people["eve"].save()
    assert members(org, one({"type": "gender", "values": ["female"]})) == ["ann"]
    assert members(org, one({"type": "gender", "values": ["female"], "opposite": True})) == [
        "ben",
        "cat",
        "dan",
    ]


def test_one_criterion_counts_as_the_total_unless_the_group_changes_it(org, people):
    women = one({"type": "gender", "values": ["female"]})
    assert count_rules(org, women)["criteria"] == [{"type": "gender", "count": 2}]
    for changed in ({**women, "opposite": True}, {**women, "exclude": women["criteria"]}):
        counts = count_rules(org, changed)
        assert counts["criteria"] == [{"type": "gender", "count": 2}]
        assert counts["total"] != 2, changed


def test_counts_reachable_and_per_criterion(org, people):
    rules = {
        "match": "any",
        "criteria": [
            {"type": "gender", "values": ["female"]},
            {"type": "member"},
            {"match": "all", "criteria": [{"type": "postcode", "from": 8000, "to": 8210}]},
        ],
        "exclude": [{"type": "gender", "values": ["male"]}],
    }
    assert count_rules(org, rules) == {
        "total": 2,
        "email": 2,
        "sms": 1,
        "criteria": [
            {"type": "gender", "count": 2},
            {"type": "member", "count": 1},
            {"type": "group", "count": 2},
        ],
    }


def test_reachable_counts_follow_consent_and_address_as_they_change(org, other_org):
    everyone = {"match": "all", "criteria": [{"type": "gender", "values": ["unknown"]}]}
    eve = customer(org, external_id="eve", email_consent=True, sms_consent=True)
    customer(other_org, external_id="eve", email="eve@example.com", email_consent=True)

    def reachable():
        counts = count_rules(org, everyone)
        return counts["total"], counts["email"], counts["sms"]

    assert reachable() == (1, 0, 0)  # consent without an address reaches no one
    Customer.objects.filter(pk=eve.pk).update(email="eve@example.com", mobile="+4511111111")
    assert reachable() == (1, 1, 1)
    Customer.objects.filter(pk=eve.pk).update(sms_consent=False)
    assert reachable() == (1, 1, 0)
    eve.refresh_from_db()
    eve.email = ""
    eve.save()
    assert reachable() == (1, 0, 0)


HAMLET_BUYERS = {"type": "event", "productions": ["Hamlet"]}
# Trees whose top-level items list their customers in a subquery, test columns of the
# customer, or mix both, with nesting, opposite and exclude.
COUNTED_TREES = [
    {
        "match": "any",
        "criteria": [
            {"match": "all", "criteria": [HAMLET_BUYERS, {"type": "member", "opposite": True}]},
            {"type": "impulsive", "max_days": 1},
        ],
        "exclude": [{"type": "consent", "channel": "sms"}],
    },
    {
        "match": "all",
        "criteria": [
            HAMLET_BUYERS,
            {"type": "gender", "values": ["female"]},
            {"type": "consent", "channel": "email"},
        ],
    },
    {"match": "any", "criteria": [HAMLET_BUYERS, {"type": "gender", "values": ["unknown"]}]},
    {"match": "all", "opposite": True, "criteria": [HAMLET_BUYERS, {"type": "member"}]},
    {"match": "any", "criteria": [{"type": "revenue", "min": 100}, {"type": "tag", "tags": ["X"]}]},
]


@pytest.mark.parametrize("rules", COUNTED_TREES)
def test_counts_equal_separate_counts(org, other_org, people, tickets_sold, rules):
    """Each count equals the one asked alone; the other organisation's identical buyers,
    tags and sales never count."""
    later = moment(org, "2026-06-01 12:00")
    for organisation in (org, other_org):
        Tag.objects.create(organisation=organisation, name="X").customers.add(
            *Customer.objects.filter(organisation=organisation, gender="female")
        )
    twin = Customer.objects.get(organisation=other_org)
    hamlet = event(other_org, "Hamlet", moment(other_org, "2026-06-01 19:30"))
    ticket_order(twin, moment(other_org, "2026-05-31 20:00"), [(hamlet, 2, 50000)])
    sale(twin, moment(other_org, "2026-05-01 10:00"), [(item(other_org, "1"), 20000)])
    sale(people["dan"], moment(org, "2026-05-01 10:00"), [(item(org, "1"), 20000)])
    members = compile_rules(org, rules, later)
    assert count_rules(org, rules, later) == {
        "total": members.count(),
        "email": members.filter(reachable_by("email")).count(),
        "sms": members.filter(reachable_by("sms")).count(),
        "criteria": [
            {
                "type": entry.get("type", "group"),
                "count": compile_rules(org, {"match": "all", "criteria": [entry]}, later).count(),
            }
            for entry in rules["criteria"]
        ],
    }


def test_counts_of_nested_and_mixed_trees(org, other_org, people, tickets_sold):
    later = moment(org, "2026-06-01 12:00")
    twin = Customer.objects.get(organisation=other_org)
    hamlet = event(other_org, "Hamlet", moment(other_org, "2026-06-01 19:30"))
    ticket_order(twin, moment(other_org, "2026-05-31 20:00"), [(hamlet, 2, 50000)])
    # ann (female, e-mail) and ben (male, SMS) bought Hamlet; neither is a member.
    assert count_rules(org, COUNTED_TREES[0], later) == {
        "total": 1,
        "email": 1,
        "sms": 0,
        "criteria": [{"type": "group", "count": 2}, {"type": "impulsive", "count": 1}],
    }
    assert count_rules(org, COUNTED_TREES[1], later) == {
        "total": 1,
        "email": 1,
        "sms": 0,
        "criteria": [
            {"type": "event", "count": 2},
            {"type": "gender", "count": 2},
            {"type": "consent", "count": 2},
        ],
    }


def test_birthday_of_29_february_is_28_february_in_other_years(org, people):
    on_28th = moment(org, "2027-02-28 09:00")
    on_1st = moment(org, "2027-03-01 09:00")
    today = one({"type": "birthday", "from": 0, "to": 0, "unit": "days"})
    assert members(org, today, on_28th) == ["ann"]
    assert members(org, today, on_1st) == []
    # In a leap year it is the 29th itself.
    assert members(org, today, moment(org, "2028-02-28 09:00")) == []
    assert members(org, today, moment(org, "2028-02-29 09:00")) == ["ann"]


def test_birthday_window_across_new_year(org, people):
    window = one({"type": "birthday", "from": -2, "to": 3, "unit": "days"})
    assert members(org, window, moment(org, "2026-12-30 12:00")) == ["ben", "dan"]
    assert members(org, window, moment(org, "2027-01-04 12:00")) == ["dan"]
    months = one({"type": "birthday", "from": 0, "to": 1, "unit": "months"})
    assert members(org, months, moment(org, "2026-12-15 12:00")) == ["ben", "dan"]


def test_birthday_date_is_the_local_date(org, people):
    # 23:30 UTC on 30 Dec is already 31 Dec in Copenhagen.
    at = moment(org, "2026-12-31 00:30")
    assert members(org, one({"type": "birthday", "from": 0, "to": 0, "unit": "days"}), at) == [
        "ben"
    ]


def test_age_includes_unknown_and_counts_leap_day_birthdays(org, people):
    at = moment(org, "2026-02-28 12:00")
    # ann (29 Feb 1992) turns 34 on 28 Feb 2026; ben is 40, dan 16, eve 55, cat unknown.
    assert members(org, one({"type": "age", "min": 34, "max": 40}), at) == ["ann", "ben", "cat"]
    assert members(
        org, one({"type": "age", "min": 34, "max": 40}), moment(org, "2026-02-27 12:00")
    ) == ["ben", "cat"]
    assert members(org, one({"type": "age", "min": 18, "opposite": True}), at) == ["dan"]


def test_postcode_interval_ignores_non_numeric(org, people):
    rule = one({"type": "postcode", "from": 8000, "to": 8210})
    assert members(org, rule) == ["ann", "ben"]
    assert members(org, one({"type": "postcode", "from": 8000, "to": 8210, "opposite": True})) == [
        "cat",
        "dan",
        "eve",
    ]


def test_revenue_counts_customers_without_purchases_as_zero(org, other_org, people):
    hair = item(org, "100", "Hair")
    nails = item(org, "200", "Nails")
    sale(people["ann"], moment(org, "2026-03-01 10:00"), [(hair, 30000), (nails, 5000)])
    sale(people["ben"], moment(org, "2026-03-02 10:00"), [(hair, 10000)], channel="adhoc")
    sale(people["ben"], moment(org, "2026-05-02 10:00"), [(hair, 99900)])
    other_hair = item(other_org, "100", "Hair")
    other = customer(other_org, external_id="zed")
    sale(other, moment(other_org, "2026-03-01 10:00"), [(other_hair, 1)])
    at = moment(org, "2026-04-01 00:00")
    assert members(org, one({"type": "revenue", "max": 100}), at) == ["ben", "cat", "dan", "eve"]
    assert members(
        org, one({"type": "revenue", "min": 100, "max": 300, "item_group": "Hair"}), at
    ) == ["ann", "ben"]
    assert members(org, one({"type": "revenue", "min": 350.00}), at) == ["ann"]
    assert members(org, one({"type": "revenue", "min": 1, "channel": "adhoc"}), at) == ["ben"]
    march = {"from": "2026-03-02", "to": "2026-03-31"}
    assert members(org, one({"type": "revenue", "min": 1, "period": march}), at) == ["ben"]
    # the May sale is after `at` and does not count yet; later it does
    assert members(org, one({"type": "revenue", "min": 1000}), at) == []
    assert members(org, one({"type": "revenue", "min": 1000}), moment(org, "2026-06-01 00:00")) == [
        "ben"
    ]


def test_bought_item_and_item_group_with_periods_and_channel(org, people):
    hair = item(org, "100", "Hair")
    nails = item(org, "200", "Nails")
    sale(people["ann"], moment(org, "2026-03-01 00:00"), [(hair, 100)])
    sale(people["eve"], moment(org, "2026-02-28 23:59"), [(nails, 100)], channel="adhoc")
    at = moment(org, "2026-03-10 12:00")
    assert members(org, one({"type": "bought_item", "items": ["100", "200"]}), at) == ["ann", "eve"]
    march = {"from": "2026-03-01", "to": "2026-03-31"}
    assert members(org, one({"type": "bought_item", "items": ["200"], "period": march}), at) == []
    assert (
        members(org, one({"type": "bought_item_group", "groups": ["Nails"], "channel": "pos"}), at)
        == []
    )
    assert members(
        org, one({"type": "bought_item_group", "groups": ["Nails", "Hair"], "channel": "adhoc"}), at
    ) == ["eve"]


def test_last_days_is_elapsed_time_across_daylight_saving(org, people):
    hair = item(org, "100", "Hair")
    # Copenhagen springs forward on 29 March 2026: 2 days = 48 h, not two calendar days.
    # 48 h before 30 March 12:00 CEST is 28 March 11:00 CET.
    sale(people["ann"], moment(org, "2026-03-28 10:30"), [(hair, 100)])
    sale(people["ben"], moment(org, "2026-03-28 11:30"), [(hair, 100)])
    at = moment(org, "2026-03-30 12:00")
    rule = one({"type": "bought_item", "items": ["100"], "period": {"last_days": 2}})
    assert members(org, rule, at) == ["ben"]
    # whole local days: 28..30 March includes both
    days = {"from": "2026-03-28", "to": "2026-03-28"}
    assert members(org, one({"type": "bought_item", "items": ["100"], "period": days}), at) == [
        "ann",
        "ben",
    ]


def test_last_purchase_over_sales_and_tickets(org, people):
    hair = item(org, "100", "Hair")
    show = event(org, "Hamlet", moment(org, "2026-06-01 19:30"))
    sale(people["ann"], moment(org, "2026-05-01 10:00"), [(hair, 100)])
    ticket_order(people["ben"], moment(org, "2026-05-08 10:00"), [(show, 2, 40000)])
    sale(people["ben"], moment(org, "2026-04-01 10:00"), [(hair, 100)])
    sale(people["dan"], moment(org, "2026-05-20 10:00"), [(hair, 100)])  # after at
    at = moment(org, "2026-05-10 09:00")
    assert members(org, one({"type": "last_purchase", "mode": "within", "days": 3}), at) == ["ben"]
    assert members(org, one({"type": "last_purchase", "mode": "exactly", "days": 9}), at) == ["ann"]
    assert members(org, one({"type": "last_purchase", "mode": "exactly", "days": 39}), at) == []
    assert members(org, one({"type": "last_purchase", "mode": "not_within", "days": 3}), at) == [
        "ann",
        "cat",
        "dan",
        "eve",
    ]


def test_bookings_by_their_own_start(org, people):
    booking(people["ann"], "Cut", moment(org, "2026-07-01 10:00"))
    booking(people["ben"], "Colour", moment(org, "2026-07-02 10:00"), status="cancelled")
    booking(people["eve"], "Colour", moment(org, "2026-07-03 10:00"), status="completed")
    at = moment(org, "2026-06-30 10:00")
    assert members(org, one({"type": "booking", "period": {"next_days": 7}}), at) == ["ann", "eve"]
    assert members(
        org, one({"type": "booking", "period": {"next_days": 7}, "services": ["Colour"]}), at
    ) == ["eve"]


@pytest.fixture
def tickets_sold(org, people):
    """ann: 2 tickets for Hamlet (500.00) on 31 May; ben: 1 for Lear at the box office
    (200.00) on 1 Feb and 3 for Hamlet (600.00) on 2 Feb."""
    venue_position = (56.1572, 10.2107)  # Aarhus
    hamlet = event(
        org,
        "Hamlet",
        moment(org, "2026-06-01 19:30"),
        "Musikhuset",
        venue_position,
        external_id="H1",
    )
    lear = event(org, "Lear", moment(org, "2026-03-01 19:30"), "Musikhuset")
    ticket_order(people["ann"], moment(org, "2026-05-31 20:00"), [(hamlet, 2, 50000)])
    ticket_order(
        people["ben"], moment(org, "2026-02-01 12:00"), [(lear, 1, 20000)], channel="boxoffice"
    )
    ticket_order(people["ben"], moment(org, "2026-02-02 12:00"), [(hamlet, 3, 60000)])


def test_ticket_criteria(org, tickets_sold):
    at = moment(org, "2026-04-01 12:00")
    # ann's order is after `at` and does not exist yet
    assert members(org, one({"type": "event"}), at) == ["ben"]
    later = moment(org, "2026-06-01 12:00")
    assert members(org, one({"type": "event", "events": ["H1"]}), later) == ["ann", "ben"]
    assert members(org, one({"type": "event", "productions": ["Lear"], "days_back": 31}), at) == [
        "ben"
    ]
    assert (
        members(org, one({"type": "event", "productions": ["Lear"], "days_back": 31}), later) == []
    )
    assert members(org, one({"type": "impulsive", "max_days": 1}), later) == ["ann"]
    # Before ann's order (a purchase after `at` exists: counted from the ticket rows) and
    # after every order (from the customers' shortest lead alone). ben's shortest lead:
    # 28 days 7½ hours (Lear); ann's: 23½ hours.
    assert members(org, one({"type": "impulsive", "max_days": 1}), at) == []
    assert members(org, one({"type": "impulsive", "max_days": 28}), at) == []
    assert members(org, one({"type": "impulsive", "max_days": 29}), at) == ["ben"]
    assert members(org, one({"type": "impulsive", "max_days": 28}), later) == ["ann"]
    assert members(org, one({"type": "impulsive", "max_days": 29}), later) == ["ann", "ben"]
    assert members(org, one({"type": "sales_type", "value": "both"}), later) == ["ben"]
    assert members(org, one({"type": "sales_type", "value": "online"}), later) == ["ann"]
    assert members(org, one({"type": "sales_type", "value": "boxoffice"}), later) == []
    assert members(org, one({"type": "ticket_count", "op": "gte", "value": 4}), later) == ["ben"]
    assert members(org, one({"type": "ticket_count", "op": "eq", "value": 0}), later) == [
        "cat",
        "dan",
        "eve",
    ]
    assert members(org, one({"type": "event_count", "op": "eq", "value": 1}), later) == ["ann"]
    assert members(org, one({"type": "order_count", "op": "gte", "value": 2}), later) == ["ben"]
    assert members(org, one({"type": "ticket_revenue", "op": "eq", "value": 500}), later) == ["ann"]
    assert members(org, one({"type": "ticket_revenue", "op": "gte", "value": 0}), later) == ALL


@pytest.mark.parametrize(
    "criteria, expected, expected_before",
    [
        (
            [
                {"type": "event_count", "op": "gte", "value": 1},
                {"type": "ticket_revenue", "op": "gte", "value": 500},
            ],
            ["ann", "ben"],
            ["ben"],
        ),
        (
            [
                {"type": "ticket_count", "op": "gte", "value": 4},
                {"type": "order_count", "op": "eq", "value": 2},
                {"type": "ticket_revenue", "op": "eq", "value": 800},
            ],
            ["ben"],
            ["ben"],
        ),
        # every range holds 0: customers without tickets stay in
        (
            [
                {"type": "ticket_count", "op": "eq", "value": 0},
                {"type": "order_count", "op": "eq", "value": 0},
            ],
            ["cat", "dan", "eve"],
            ["ann", "cat", "dan", "eve"],
        ),
        (
            [
                {"type": "event_count", "op": "eq", "value": 1},
                {"type": "ticket_count", "op": "gte", "value": 0},
            ],
            ["ann"],
            [],
        ),
        # one range holds 0, the other not: nobody can be in both
        (
            [
                {"type": "ticket_count", "op": "eq", "value": 0},
                {"type": "event_count", "op": "gte", "value": 1},
            ],
            [],
            [],
        ),
        # an opposite is not merged into the others' GROUP BY
        (
            [
                {"type": "ticket_count", "op": "eq", "value": 2},
                {"type": "ticket_revenue", "op": "eq", "value": 500},
                {"type": "order_count", "op": "gte", "value": 2, "opposite": True},
            ],
            ["ann"],
            [],
        ),
    ],
)
def test_ticket_totals_together_in_one_group(
    org, people, tickets_sold, criteria, expected, expected_before
):
    later = moment(org, "2026-06-01 12:00")
    rules = {"match": "all", "criteria": criteria}
    assert members(org, rules, later) == expected
    assert count_rules(org, rules, later)["total"] == len(expected)
    assert members(org, {**rules, "opposite": True}, later) == sorted(set(ALL) - set(expected))
    before_ann_ordered = moment(org, "2026-05-31 19:59")
    assert members(org, rules, before_ann_ordered) == expected_before


def test_distance_to_venue(org, people):
    event(org, "Hamlet", moment(org, "2026-06-01 19:30"), "Musikhuset", (56.1572, 10.2107))
    people["ann"].latitude, people["ann"].longitude = 56.1629, 10.2039  # Aarhus C, ~0.75 km
    people["ann"].save()
    people["ben"].latitude, people["ben"].longitude = 55.6761, 12.5683  # Copenhagen, ~157 km
    people["ben"].save()
    near = one({"type": "distance", "venue": "Musikhuset", "max_km": 1})
    assert members(org, near) == ["ann"]
    assert members(org, one({"type": "distance", "venue": "Musikhuset", "max_km": 160})) == [
        "ann",
        "ben",
    ]
    assert members(
        org, one({"type": "distance", "venue": "Musikhuset", "max_km": 150, "opposite": True})
    ) == ["ben", "cat", "dan", "eve"]


def test_distance_due_north_and_south_at_the_edge(org, people):
    """The latitude band that narrows the search keeps everyone the formula accepts:
    one metre inside the limit due north/south matches, one metre outside does not."""
    event(org, "Hamlet", moment(org, "2026-06-01 19:30"), "Musikhuset", (56.0, 10.0))
    degrees_per_km = 180 / (math.pi * 6371.0)
    for name, km in [("ann", 14.999), ("ben", -14.999), ("cat", 15.001), ("dan", -15.001)]:
        people[name].latitude, people[name].longitude = 56.0 + km * degrees_per_km, 10.0
        people[name].save()
    rules = one({"type": "distance", "venue": "Musikhuset", "max_km": 15})
    assert members(org, rules) == ["ann", "ben"]
    assert members(org, {**rules, "opposite": True}) == ["cat", "dan", "eve"]


def test_groups_tags_permissions_consent_member(org, people):
    vip = CustomerGroup.objects.create(organisation=org, name="VIP")
    people["ann"].groups.add(vip)
    flag = Tag.objects.create(organisation=org, name="Flag")
    people["ben"].tags.add(flag)
    photo = Permission.objects.create(organisation=org, name="Photos")
    grant(people["cat"], photo, moment(org, "2026-01-01 00:00"))
    assert members(org, one({"type": "customer_group", "groups": ["VIP"]})) == ["ann"]
    assert members(org, one({"type": "tag", "tags": ["Flag"]})) == ["ben"]
    assert members(org, one({"type": "permission", "permissions": ["Photos"]})) == ["cat"]
    assert members(org, one({"type": "consent", "channel": "sms"})) == ["ben", "eve"]
    assert members(org, one({"type": "member"})) == ["dan"]


def test_individual_attributes(org, people):
    individual(people["ann"], "car", {"make": "Tesla", "year": 2021})
    individual(people["ben"], "car", {"make": "tesla", "year": "2019"})
    individual(people["eve"], "pet", {"make": "Tesla"})
    rule = {"type": "individual", "kind": "car", "attribute": "make", "op": "eq", "value": "Tesla"}
    assert members(org, one(rule)) == ["ann"]
    assert members(org, one({**rule, "op": "neq"})) == ["ben"]
    assert members(org, one({**rule, "op": "contains", "value": "esl"})) == ["ann", "ben"]
    year = {"type": "individual", "kind": "car", "attribute": "year", "op": "gte", "value": 2020}
    assert members(org, one(year)) == ["ann"]
    assert members(org, one({**year, "op": "lte", "value": "2020"})) == ["ben"]


def test_nested_groups_opposite_and_exclude(org, people):
    rules = {
        "match": "all",
        "criteria": [
            {
                "match": "any",
                "opposite": True,
                "criteria": [
                    {"type": "gender", "values": ["unknown"]},
                    {"type": "member"},
                ],
            },
        ],
        "exclude": [{"type": "consent", "channel": "sms"}],
    }
    assert members(org, rules) == ["ann"]
    everything = {
        "match": "any",
        "criteria": [{"type": "gender", "values": ["female", "male", "unknown"]}],
    }
    assert members(org, everything) == ALL
    assert members(org, {**everything, "opposite": True}) == []


BAD = [
    ({"match": "all", "criteria": []}, "criteria: empty group"),
    ({"match": "some", "criteria": [{"type": "member"}]}, "match: must be one of all, any"),
    (one({"type": "shoe_size"}), "criteria[0].type: unknown criterion type: shoe_size"),
    (one({"type": "gender"}), "criteria[0].values: missing"),
    (one({"type": "gender", "values": "female"}), "criteria[0].values: not a non-empty list"),
    (
        one({"type": "created", "period": {"from": "2026-13-01", "to": "2026-12-31"}}),
        "criteria[0].period.from: not a date",
    ),
    (
        one({"type": "created", "period": {"from": "2026-02-01", "to": "2026-01-31"}}),
        "criteria[0].period.to: before from",
    ),
    (
        one({"type": "postcode", "from": 9000, "to": 8000}),
        "criteria[0].to: range is inverted (from/min is above to/max)",
    ),
    (one({"type": "revenue", "min": "100"}), "criteria[0].min: not a number"),
    (one({"type": "bought_item", "items": ["nope"]}), "criteria[0].items[0]: unknown item: nope"),
    (
        one({"type": "distance", "venue": "Nowhere", "max_km": 3}),
        "criteria[0].venue: unknown venue: Nowhere",
    ),
    (one({"type": "event", "events": ["X9"]}), "criteria[0].events[0]: unknown event: X9"),
    (one({"type": "member", "colour": "red"}), "criteria[0].colour: unknown parameter"),
    (one({"type": "member", "opposite": "yes"}), "criteria[0].opposite: not true or false"),
    (
        {"match": "all", "criteria": [{"match": "any", "criteria": [{"type": "age", "min": 1.5}]}]},
        "criteria[0].criteria[0].min: not a whole number",
    ),
]


@pytest.mark.parametrize(("rules", "message"), BAD)
def test_bad_rules_name_the_path(org, rules, message):
    with pytest.raises(RuleError) as caught:
        validate_rules(org, rules)
    assert str(caught.value) == message


def test_nesting_deeper_than_eight_levels(org):
    rules = {"match": "all", "criteria": [{"type": "member"}]}
    for _ in range(7):
        rules = {"match": "all", "criteria": [rules]}
    validate_rules(org, rules)
    with pytest.raises(RuleError, match=r"groups are nested deeper than 8 levels"):
        validate_rules(org, {"match": "all", "criteria": [rules]})


def test_rules_over_256_kb(org):
    huge = one({"type": "gender", "values": ["female"] * 30000})
    assert len(json.dumps(huge)) > 256 * 1024
    with pytest.raises(RuleError, match="larger than 256 KB"):
        validate_rules(org, huge)


def test_names_of_another_organisation_are_unknown(org, other_org):
    CustomerGroup.objects.create(organisation=other_org, name="VIP")
    with pytest.raises(RuleError, match=r"criteria\[0\].groups\[0\]: unknown customer group: VIP"):
        validate_rules(org, one({"type": "customer_group", "groups": ["VIP"]}))
