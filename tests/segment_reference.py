"""A plain-Python reading of SPEC 9.3, written apart from the compiler, for tests only.

It loads an organisation's facts into lists and evaluates a rule tree customer by
customer, the slow and obvious way; the property tests demand the compiler agrees.
"""

import calendar
import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from regulars.commerce.models import Booking, SaleLine, Ticket, Venue
from regulars.customers.models import Customer, Individual

UTC = datetime.UTC


@dataclass
class Person:
    id: int
    gender: str
    birth_date: datetime.date | None
    created_at: datetime.datetime
    postcode: str
    latitude: float | None
    longitude: float | None
    member: bool
    email: str
    mobile: str
    email_consent: bool
    sms_consent: bool
    groups: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    permissions: set[str] = field(default_factory=set)
    individuals: list[tuple[str, dict]] = field(default_factory=list)


class World:
    """Everything one organisation holds, as plain Python values (times in UTC)."""

    def __init__(self, organisation: Any) -> None:
        self.tz = organisation.tz
        self.people: dict[int, Person] = {}
        for row in Customer.objects.filter(organisation=organisation, erased_at__isnull=True):
            self.people[row.id] = Person(
                id=row.id,
                gender=row.gender,
                birth_date=row.birth_date,
                created_at=row.created_at.astimezone(UTC),
                postcode=row.postcode,
                latitude=row.latitude,
                longitude=row.longitude,
                member=row.member,
                email=row.email,
                mobile=row.mobile,
                email_consent=row.email_consent,
                sms_consent=row.sms_consent,
                groups={g.name for g in row.groups.all()},
                tags={t.name for t in row.tags.all()},
                permissions={p.name for p in row.permissions.all()},
            )
        for individual in Individual.objects.filter(organisation=organisation):
            if individual.customer_id in self.people:
                self.people[individual.customer_id].individuals.append(
                    (individual.kind, individual.attributes)
                )
        self.lines = [
            (
                line.customer_id,
                line.sold_at.astimezone(UTC),
                line.channel,
                line.item.number,
                line.item_group.name if line.item_group else None,
                line.amount_cents,
            )
            for line in SaleLine.objects.filter(organisation=organisation).select_related(
                "item", "item_group"
            )
        ]
        self.bookings = [
            (b.customer_id, b.service.name, b.start.astimezone(UTC), b.status)
            for b in Booking.objects.filter(organisation=organisation).select_related("service")
        ]
        self.tickets = [
            (
                t.customer_id,
                t.order_id,
                t.ordered_at.astimezone(UTC),
                t.channel,
                t.event.external_id,
                t.production.name,
                t.event_start.astimezone(UTC),
                t.quantity,
                t.amount_cents,
            )
            for t in Ticket.objects.filter(organisation=organisation).select_related(
                "event", "production"
            )
        ]
        self.venues = {
            v.name: (v.latitude, v.longitude)
            for v in Venue.objects.filter(organisation=organisation)
        }

    # --- the tree -------------------------------------------------------------------

    def members(self, rules: dict, at: datetime.datetime) -> set[int]:
        at = at.astimezone(UTC)
        return {pid for pid, person in self.people.items() if self.item(rules, person, at)}

    def item(self, node: dict, person: Person, at: datetime.datetime) -> bool:
        if "match" in node:
            results = [self.item(child, person, at) for child in node["criteria"]]
            hit = all(results) if node["match"] == "all" else any(results)
            if any(self.item(child, person, at) for child in node.get("exclude", [])):
                hit = False
        else:
            hit = getattr(self, "c_" + node["type"])(node, person, at)
        return not hit if node.get("opposite") else hit

    # --- time -----------------------------------------------------------------------

    def today(self, at: datetime.datetime) -> datetime.date:
        return at.astimezone(self.tz).date()

    def local_midnight(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime(day.year, day.month, day.day, tzinfo=self.tz).astimezone(UTC)

    def in_period(self, moment: datetime.datetime, period: dict | None, at) -> bool:
        if period is None:
            return True
        if "last_days" in period:
            return at - datetime.timedelta(days=period["last_days"]) <= moment <= at
        if "next_days" in period:
            return at <= moment <= at + datetime.timedelta(days=period["next_days"])
        first = self.local_midnight(datetime.date.fromisoformat(period["from"]))
        after = self.local_midnight(
            datetime.date.fromisoformat(period["to"]) + datetime.timedelta(days=1)
        )
        return first <= moment < after

    # --- criteria ---------------------------------------------------------------------

    def c_gender(self, node, person, at):
        return person.gender in node["values"]

    @staticmethod
    def anniversary(born: datetime.date, year: int) -> datetime.date:
        if born.month == 2 and born.day == 29 and not calendar.isleap(year):
            return datetime.date(year, 2, 28)
        return datetime.date(year, born.month, born.day)

    def c_birthday(self, node, person, at):
        born = person.birth_date
        if born is None:
            return False
        today = self.today(at)
        if node["unit"] == "months":
            months = {(today.month - 1 + k) % 12 + 1 for k in range(node["from"], node["to"] + 1)}
            return born.month in months
        for offset in range(node["from"], node["to"] + 1):
            day = today + datetime.timedelta(days=offset)
            if self.anniversary(born, day.year) == day:
                return True
        return False

    def c_age(self, node, person, at):
        born = person.birth_date
        if born is None:
            return True
        today = self.today(at)
        age = today.year - born.year - (today < self.anniversary(born, today.year))
        return node.get("min", -1) <= age <= node.get("max", 10**6)

    def c_created(self, node, person, at):
        return self.in_period(person.created_at, node["period"], at)

    def c_postcode(self, node, person, at):
        code = person.postcode.strip()
        return code.isdigit() and node["from"] <= int(code) <= node["to"]

    def c_customer_group(self, node, person, at):
        return bool(person.groups & set(node["groups"]))

    def c_tag(self, node, person, at):
        return bool(person.tags & set(node["tags"]))

    def c_permission(self, node, person, at):
        return bool(person.permissions & set(node["permissions"]))

    def c_member(self, node, person, at):
        return person.member

    def c_consent(self, node, person, at):
        return person.email_consent if node["channel"] == "email" else person.sms_consent

    def sale_lines(self, node, person, at):
        channel = node.get("channel", "all")
        return [
            line
            for line in self.lines
            if line[0] == person.id
            and line[1] <= at
            and self.in_period(line[1], node.get("period"), at)
            and channel in ("all", line[2])
        ]

    def c_bought_item(self, node, person, at):
        return any(line[3] in node["items"] for line in self.sale_lines(node, person, at))

    def c_bought_item_group(self, node, person, at):
        return any(line[4] in node["groups"] for line in self.sale_lines(node, person, at))

    def c_revenue(self, node, person, at):
        lines = self.sale_lines(node, person, at)
        if "item_group" in node:
            lines = [line for line in lines if line[4] == node["item_group"]]
        total = Decimal(sum(line[5] for line in lines)) / 100
        low = Decimal(str(node.get("min", -(10**12))))
        high = Decimal(str(node.get("max", 10**12)))
        return low <= total <= high

    def c_booking(self, node, person, at):
        return any(
            b[0] == person.id
            and b[3] in ("booked", "completed")
            and self.in_period(b[2], node["period"], at)
            and ("services" not in node or b[1] in node["services"])
            for b in self.bookings
        )

    def own_tickets(self, person, at):
        return [t for t in self.tickets if t[0] == person.id and t[2] <= at]

    def c_event(self, node, person, at):
        since = at - datetime.timedelta(days=node.get("days_back", 0))
        chosen = node.get("events", []) + node.get("productions", [])
        return any(
            t[6] >= since
            and (
                not chosen or t[4] in node.get("events", []) or t[5] in node.get("productions", [])
            )
            for t in self.own_tickets(person, at)
        )

    def c_impulsive(self, node, person, at):
        ahead = datetime.timedelta(days=node["max_days"])
        return any(t[6] - ahead <= t[2] <= t[6] for t in self.own_tickets(person, at))

    def c_sales_type(self, node, person, at):
        channels = {t[3] for t in self.own_tickets(person, at)}
        return {
            "online": channels == {"online"},
            "boxoffice": channels == {"boxoffice"},
            "both": channels == {"online", "boxoffice"},
            "all": bool(channels),
        }[node["value"]]

    def compare(self, node, total):
        value = Decimal(str(node["value"]))
        return total >= value if node["op"] == "gte" else total == value

    def c_ticket_count(self, node, person, at):
        return self.compare(node, sum(t[7] for t in self.own_tickets(person, at)))

    def c_event_count(self, node, person, at):
        return self.compare(node, len({t[4] for t in self.own_tickets(person, at)}))

    def c_order_count(self, node, person, at):
        return self.compare(node, len({t[1] for t in self.own_tickets(person, at)}))

    def c_ticket_revenue(self, node, person, at):
        total = Decimal(sum(t[8] for t in self.own_tickets(person, at))) / 100
        return self.compare(node, total)

    def c_last_purchase(self, node, person, at):
        times = [line[1] for line in self.lines if line[0] == person.id and line[1] <= at]
        times += [t[2] for t in self.own_tickets(person, at)]
        last = max(times, default=None)
        days = node["days"]
        since = at - datetime.timedelta(days=days)
        if node["mode"] == "within":
            return last is not None and last >= since
        if node["mode"] == "not_within":
            return last is None or last < since
        target = self.today(at) - datetime.timedelta(days=days)
        return last is not None and last.astimezone(self.tz).date() == target

    def c_distance(self, node, person, at):
        if person.latitude is None or person.longitude is None:
            return False
        lat1, lon1 = map(math.radians, self.venues[node["venue"]])
        lat2, lon2 = math.radians(person.latitude), math.radians(person.longitude)
        a = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        )
        return 2 * 6371 * math.asin(min(1.0, math.sqrt(a))) <= node["max_km"]

    def c_individual(self, node, person, at):
        return any(
            kind == node["kind"]
            and node["attribute"] in attributes
            and self.attribute_compares(attributes[node["attribute"]], node["op"], node["value"])
            for kind, attributes in person.individuals
        )

    @staticmethod
    def attribute_compares(stored: Any, op: str, value: Any) -> bool:
        def is_number(x):
            return isinstance(x, int | float) and not isinstance(x, bool)

        if op != "contains" and is_number(stored) and is_number(value):
            left, right = stored, value
        elif isinstance(stored, str):
            left = stored
            right = (
                value
                if isinstance(value, str)
                else (str(int(value)) if float(value).is_integer() else str(value))
            )
            if op == "contains":
                return right in left
        else:
            return op == "neq"
        return {
            "eq": left == right,
            "neq": left != right,
            "gte": left >= right,
            "lte": left <= right,
        }[op]
