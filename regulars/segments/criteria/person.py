"""Criteria on the customer's own data: who they are, where they live, what they hold."""

import math

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Cos, Power, Radians, Sin
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from regulars.commerce.models import Venue
from regulars.customers.models import (
    CustomerGroup,
    CustomerPermission,
    Gender,
    Individual,
    Permission,
    Tag,
)

from ..clock import (
    birthday_days_monthdays,
    birthday_months_monthdays,
    latest_birth_date_for_age,
    monthday_ranges,
)
from ..params import MAX_DAYS, Params, RuleError, check_range, is_number
from ..sql import AttributeComparison
from .base import Criterion, owners, register

EARTH_RADIUS_KM = 6371.0
LATITUDE_MARGIN_DEGREES = 1e-6  # about 10 cm


@register
class GenderCriterion(Criterion):
    type = "gender"
    label = _("Gender")
    parameters = {"values": "genders"}

    def parse(self, params: Params) -> None:
        self.values = params.texts("values")
        for index, value in enumerate(self.values):
            if value not in Gender.values:
                path = f"{params.at('values')}[{index}]"
                raise RuleError(path, "must be female, male or unknown")

    def condition(self) -> Q:
        return Q(gender__in=self.values)


@register
class BirthdayCriterion(Criterion):
    type = "birthday"
    label = _("Birthday")
    parameters = {"from": "int", "to": "int", "unit": "birthday_unit"}

    def parse(self, params: Params) -> None:
        self.first = params.integer("from", -MAX_DAYS, MAX_DAYS)
        self.last = params.integer("to", -MAX_DAYS, MAX_DAYS)
        self.unit = params.choice("unit", ["days", "months"])
        check_range(self.first, self.last, params.at("to"))

    def condition(self) -> Q:
        today = self.clock.today
        if self.unit == "days":
            monthdays = birthday_days_monthdays(today, self.first, self.last)
        else:
            monthdays = birthday_months_monthdays(today, self.first, self.last)
        condition = Q(pk__in=[])
        for low, high in monthday_ranges(monthdays):
            condition |= Q(birth_monthday__gte=low, birth_monthday__lte=high)
        return condition & Q(birth_date__isnull=False)


@register
class CreatedCriterion(Criterion):
    type = "created"
    label = _("Customer created within a period")
    parameters = {"period": "period"}

    def parse(self, params: Params) -> None:
        self.period = params.period("period")

    def condition(self) -> Q:
        assert self.period is not None
        return Q(**self.context.window(self.period).lookups("created_at"))


@register
class PostcodeCriterion(Criterion):
    type = "postcode"
    label = _("Postcode interval")
    parameters = {"from": "int", "to": "int"}

    def parse(self, params: Params) -> None:
        self.first = self._postcode(params, "from")
        self.last = self._postcode(params, "to")
        check_range(self.first, self.last, params.at("to"))

    @staticmethod
    def _postcode(params: Params, key: str) -> int:
        value = params.raw(key)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        return params.integer(key, 0)

    def condition(self) -> Q:
        return Q(postcode_number__isnull=False) & Q(
            postcode_number__gte=self.first, postcode_number__lte=self.last
        )


@register
class CustomerGroupCriterion(Criterion):
    type = "customer_group"
    label = _("Belongs to customer group")
    parameters = {"groups": "customer_groups"}

    def parse(self, params: Params) -> None:
        self.group_ids = self.context.ids_for_names(
            CustomerGroup, params.texts("groups"), params.at("groups")
        )

    def condition(self) -> Q:
        memberships = CustomerGroup.customers.through.objects.filter(
            customergroup_id__in=self.group_ids
        )
        return owners(memberships)


@register
class TagCriterion(Criterion):
    type = "tag"
    label = _("Customer tags")
    parameters = {"tags": "tags"}

    def parse(self, params: Params) -> None:
        self.tag_ids = self.context.ids_for_names(Tag, params.texts("tags"), params.at("tags"))

    def condition(self) -> Q:
        taggings = Tag.customers.through.objects.filter(tag_id__in=self.tag_ids)
        return owners(taggings)


@register
class PermissionCriterion(Criterion):
    type = "permission"
    label = _("Permissions")
    parameters = {"permissions": "permissions"}

    def parse(self, params: Params) -> None:
        self.permission_ids = self.context.ids_for_names(
            Permission, params.texts("permissions"), params.at("permissions")
        )

    def condition(self) -> Q:
        # A CustomerPermission row is a current grant; withdrawing deletes it.
        grants = CustomerPermission.objects.filter(permission_id__in=self.permission_ids)
        return owners(grants)


@register
class AgeCriterion(Criterion):
    type = "age"
    label = _("Age")
    parameters = {"min": "int", "max": "int"}

    def parse(self, params: Params) -> None:
        self.youngest = params.optional_integer("min", 0)
        self.oldest = params.optional_integer("max", 0)
        check_range(self.youngest, self.oldest, params.at("max"))

    def condition(self) -> Q:
        known_in_range = Q(birth_date__isnull=False)
        today = self.clock.today
        if self.youngest is not None:
            latest = latest_birth_date_for_age(today, self.youngest)
            known_in_range &= Q(pk__in=[]) if latest is None else Q(birth_date__lte=latest)
        if self.oldest is not None:
            too_old_from = latest_birth_date_for_age(today, self.oldest + 1)
            if too_old_from is not None:
                known_in_range &= Q(birth_date__gt=too_old_from)
        # Unknown age matches (seed 002: the customer is included when age is unknown).
        return Q(birth_date__isnull=True) | known_in_range


@register
class MemberCriterion(Criterion):
    type = "member"
    label = _("Subscriber / member")

    def condition(self) -> Q:
        return Q(member=True)


@register
class ConsentCriterion(Criterion):
    type = "consent"
    label = _("Newsletter consent")
    parameters = {"channel": "consent_channel"}

    def parse(self, params: Params) -> None:
        self.channel = params.choice("channel", ["email", "sms"])

    def condition(self) -> Q:
        return Q(email_consent=True) if self.channel == "email" else Q(sms_consent=True)


@register
class DistanceCriterion(Criterion):
    type = "distance"
    label = _("Distance to a venue")
    parameters = {"venue": "venue", "max_km": "number"}

    def parse(self, params: Params) -> None:
        name = params.text("venue")
        venue = Venue.objects.filter(organisation=self.organisation, name=name).first()
        if venue is None:
            raise RuleError(params.at("venue"), f"unknown venue: {name}")
        if venue.latitude is None or venue.longitude is None:
            raise RuleError(params.at("venue"), f"venue has no position: {name}")
        self.venue_latitude_degrees = venue.latitude
        self.venue_latitude = math.radians(venue.latitude)
        self.venue_longitude = math.radians(venue.longitude)
        self.max_km = float(params.number("max_km", minimum=0))

    def condition(self) -> Q:
        located = Q(latitude__isnull=False, longitude__isnull=False)
        if self.max_km >= math.pi * EARTH_RADIUS_KM:
            return located
        # Haversine without the arcsine: hav(d/R) <= sin²(max/2R) is the same test and
        # needs only SIN/COS, which Django provides on SQLite too.
        threshold = math.sin(self.max_km / (2 * EARTH_RADIUS_KM)) ** 2
        latitude = Radians(F("latitude"))
        longitude = Radians(F("longitude"))
        haversine = Power(Sin((latitude - self.venue_latitude) / 2), 2) + math.cos(
            self.venue_latitude
        ) * Cos(latitude) * Power(Sin((longitude - self.venue_longitude) / 2), 2)
        return located & self.latitude_band() & Q(LessThanOrEqual(haversine, threshold))

    def latitude_band(self) -> Q:
        """Customers whose latitude is within max_km of the venue's: no one farther north
        or south can be within max_km (the meridian is the shortest way between two
        latitudes), so this only narrows the rows to test, through the index on
        (organisation, latitude, …) of migration 0006. The margin covers rounding."""
        band = math.degrees(self.max_km / EARTH_RADIUS_KM) + LATITUDE_MARGIN_DEGREES
        return Q(
            latitude__gte=self.venue_latitude_degrees - band,
            latitude__lte=self.venue_latitude_degrees + band,
        )


@register
class IndividualCriterion(Criterion):
    type = "individual"
    label = _("Individuals")
    parameters = {"kind": "text", "attribute": "text", "op": "individual_op", "value": "value"}

    def parse(self, params: Params) -> None:
        self.kind = params.text("kind")
        self.attribute = params.text("attribute")
        if '"' in self.attribute or "\\" in self.attribute:
            raise RuleError(params.at("attribute"), "may not contain quotes or backslashes")
        self.op = params.choice("op", ["eq", "neq", "contains", "gte", "lte"])
        value = params.raw("value")
        if not (is_number(value) or isinstance(value, str)):
            raise RuleError(params.at("value"), "not a text or a number")
        self.value = value

    def condition(self) -> Q:
        individuals = Individual.objects.filter(
            organisation=self.organisation, kind=self.kind, customer=OuterRef("pk")
        ).filter(AttributeComparison("attributes", self.attribute, self.op, self.value))
        return Q(Exists(individuals))
