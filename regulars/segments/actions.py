"""Writes: saved segments and views (SEG-6), tagging every member (SEG-7)."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from regulars.commerce.models import Event, Production
from regulars.customers.models import Customer, Tag
from regulars.orgs.models import Organisation

from .engine import RuleError, validate_rules
from .models import SavedSegment, SavedView

TAG_BATCH = 5000


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise RuleError("name", "missing")
    if len(name) > 200:
        raise RuleError("name", "longer than 200 characters")
    return name


@transaction.atomic
def create_segment(
    *,
    organisation: Organisation,
    name: str,
    rules: dict[str, Any],
    description: str = "",
    actor: User | None = None,
) -> SavedSegment:
    """Save a rule tree under a name; RuleError if the rules or name are invalid."""
    validate_rules(organisation, rules)
    return SavedSegment.objects.create(
        organisation=organisation,
        name=_check_name(name),
        description=description,
        rules=rules,
        created_by=actor,
    )


@transaction.atomic
def update_segment(
    *,
    segment: SavedSegment,
    name: str | None = None,
    description: str | None = None,
    rules: dict[str, Any] | None = None,
) -> SavedSegment:
    if rules is not None:
        validate_rules(segment.organisation, rules)
        segment.rules = rules
    if name is not None:
        segment.name = _check_name(name)
    if description is not None:
        segment.description = description
    segment.save()
    return segment


@transaction.atomic
def remove_segment(*, segment: SavedSegment) -> None:
    """Hide the segment (and keep it restorable)."""
    if segment.removed_at is None:
        segment.removed_at = timezone.now()
        segment.save(update_fields=["removed_at", "updated_at"])


@transaction.atomic
def restore_segment(*, segment: SavedSegment) -> None:
    segment.removed_at = None
    segment.save(update_fields=["removed_at", "updated_at"])


def _check_view_target(
    segment: SavedSegment, event: Event | None, production: Production | None
) -> None:
    for path, row in (("event", event), ("production", production)):
        if row is not None and row.organisation_id != segment.organisation_id:
            raise RuleError(path, "unknown")
    if event is not None and production is not None:
        raise RuleError("event", "choose an event or a production, not both")


@transaction.atomic
def create_view(
    *,
    segment: SavedSegment,
    name: str,
    filters: dict[str, Any] | None = None,
    description: str = "",
    event: Event | None = None,
    production: Production | None = None,
    actor: User | None = None,
) -> SavedView:
    """A view of the segment with extra filters, optionally "show for" an event/production."""
    if filters:
        validate_rules(segment.organisation, filters)
    _check_view_target(segment, event, production)
    return SavedView.objects.create(
        organisation=segment.organisation,
        segment=segment,
        name=_check_name(name),
        description=description,
        filters=filters or None,
        event=event,
        production=production,
        created_by=actor,
    )


@transaction.atomic
def update_view(
    *,
    view: SavedView,
    name: str | None = None,
    description: str | None = None,
    filters: dict[str, Any] | None = None,
) -> SavedView:
    if filters is not None:
        if filters:
            validate_rules(view.organisation, filters)
        view.filters = filters or None
    if name is not None:
        view.name = _check_name(name)
    if description is not None:
        view.description = description
    view.save()
    return view


@transaction.atomic
def remove_view(*, view: SavedView) -> None:
    if view.removed_at is None:
        view.removed_at = timezone.now()
        view.save(update_fields=["removed_at", "updated_at"])


@transaction.atomic
def restore_view(*, view: SavedView) -> None:
    view.removed_at = None
    view.save(update_fields=["removed_at", "updated_at"])


@dataclass(frozen=True)
class TagResult:
    """How a 'tag all members' went (SEG-7)."""

    members: int
    already_tagged: int
    newly_tagged: int
    total_tagged: int


@transaction.atomic
def tag_members(
    *, organisation: Organisation, members: QuerySet[Customer], tag_name: str
) -> TagResult:
    """Give every member the tag (created if new); report who already had it."""
    name = tag_name.strip()
    if not name or len(name) > 100:
        raise RuleError("tag", "missing or longer than 100 characters")
    tag, _ = Tag.objects.get_or_create(organisation=organisation, name=name)
    members = members.filter(organisation=organisation)
    total_members = members.count()
    # Read the ids before writing: the insert changes what the query would see.
    untagged = list(members.exclude(tags=tag).order_by().values_list("pk", flat=True))
    through = Customer.tags.through
    for start in range(0, len(untagged), TAG_BATCH):
        through.objects.bulk_create(
            through(customer_id=customer_id, tag_id=tag.pk)
            for customer_id in untagged[start : start + TAG_BATCH]
        )
    added = len(untagged)
    return TagResult(
        members=total_members,
        already_tagged=total_members - added,
        newly_tagged=added,
        total_tagged=through.objects.filter(tag=tag).count(),
    )
