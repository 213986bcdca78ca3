"""Segments API (SEG-2, SEG-6, SEG-7): count a rule tree, saved segments and views,
their members (paginated), exports and tagging.

Rule trees are SPEC 9.3 JSON. A bad tree answers 422 with `detail` naming the path
(`criteria[2].period.from: not a date`); an id of another organisation answers 404.
"""

from datetime import datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from regulars.commerce.models import Event, Production
from regulars.customers.models import Customer
from regulars.segments import actions
from regulars.segments.engine import RuleError, count_rules
from regulars.segments.exports import CONTENT_TYPES, export_members
from regulars.segments.models import SavedSegment, SavedView
from regulars.segments.queries import segment_members, segments_of, view_members, views_of

router = Router(tags=["segments"])


class SegmentError(Schema):
    detail: str


class CountIn(Schema):
    rules: dict[str, Any]
    at: datetime | None = Field(None, description="evaluation moment (default now)")


class CriterionCount(Schema):
    type: str
    count: int


class CountOut(Schema):
    total: int
    email: int
    sms: int
    criteria: list[CriterionCount]


class SegmentIn(Schema):
    name: str
    description: str = ""
    rules: dict[str, Any]


class SegmentPatch(Schema):
    name: str | None = None
    description: str | None = None
    rules: dict[str, Any] | None = None


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    rules: dict[str, Any]
    removed: bool
    created_at: datetime
    updated_at: datetime


class ViewIn(Schema):
    segment_id: int
    name: str
    description: str = ""
    filters: dict[str, Any] | None = None
    event: str | None = Field(None, description="event id: leave out its ticket holders")
    production: str | None = Field(None, description="production name: the same")


class ViewPatch(Schema):
    name: str | None = None
    description: str | None = None
    filters: dict[str, Any] | None = None


class ViewOut(Schema):
    id: int
    segment_id: int
    name: str
    description: str
    filters: dict[str, Any] | None
    event: str | None
    production: str | None
    removed: bool
    created_at: datetime


class MemberOut(Schema):
    id: int
    external_id: str | None
    first_name: str
    last_name: str
    email: str
    mobile: str


class MembersOut(Schema):
    count: int
    page: int
    page_size: int
    results: list[MemberOut]


class Paging(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)
    at: datetime | None = None


class ExportQuery(Schema):
    format: Literal["csv", "xlsx"] = "csv"
    all_data: bool = Field(False, description="every SPEC 9.2 customer column (re-import)")
    at: datetime | None = None


class TagIn(Schema):
    tag: str


class TagOut(Schema):
    members: int
    already_tagged: int
    newly_tagged: int
    total_tagged: int


BAD_RULES = {422: SegmentError}
NOT_FOUND = {404: SegmentError}


def _segment_out(segment: SavedSegment) -> SegmentOut:
    return SegmentOut(
        id=segment.pk,
        name=segment.name,
        description=segment.description,
        rules=segment.rules,
        removed=segment.is_removed,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


def _view_out(view: SavedView) -> ViewOut:
    return ViewOut(
        id=view.pk,
        segment_id=view.segment_id,
        name=view.name,
        description=view.description,
        filters=view.filters,
        event=view.event.external_id if view.event else None,
        production=view.production.name if view.production else None,
        removed=view.is_removed,
        created_at=view.created_at,
    )


def _segment(request, segment_id: int) -> SavedSegment:
    return get_object_or_404(SavedSegment, pk=segment_id, organisation=request.organisation)


def _view(request, view_id: int) -> SavedView:
    return get_object_or_404(SavedView, pk=view_id, organisation=request.organisation)


def _page(members: QuerySet[Customer], paging: Paging) -> MembersOut:
    start = (paging.page - 1) * paging.page_size
    rows = members.order_by("last_name", "first_name", "pk").values(
        "id", "external_id", "first_name", "last_name", "email", "mobile"
    )[start : start + paging.page_size]
    return MembersOut(
        count=members.count(),
        page=paging.page,
        page_size=paging.page_size,
        results=[MemberOut(**row) for row in rows],
    )


def _download(members: QuerySet[Customer], query: ExportQuery, name: str) -> HttpResponse:
    content = export_members(members, query.format, full=query.all_data)
    response = HttpResponse(content, content_type=CONTENT_TYPES[query.format])
    response["Content-Disposition"] = f'attachment; filename="{name}.{query.format}"'
    return response


@router.post("/count", response={200: CountOut, **BAD_RULES})
def count(request, payload: CountIn):
    """SEG-2 counts of a rule tree: total, e-mail, SMS and each top-level criterion alone."""
    try:
        return Status(200, count_rules(request.organisation, payload.rules, payload.at))
    except RuleError as error:
        return Status(422, SegmentError(detail=str(error)))


@router.get("/views", response=list[ViewOut])
def list_views(request, removed: bool = False):
    """Saved views; `removed=true` lists the removed ones (to restore)."""
    return [_view_out(view) for view in views_of(request.organisation, removed=removed)]


@router.post("/views", response={201: ViewOut, **BAD_RULES, **NOT_FOUND})
def create_view(request, payload: ViewIn):
    """A view of a segment with extra filters, optionally for an event or production."""
    segment = _segment(request, payload.segment_id)
    organisation = request.organisation
    event = production = None
    if payload.event is not None:
        event = Event.objects.filter(organisation=organisation, external_id=payload.event).first()
        if event is None:
            return Status(422, SegmentError(detail=f"event: unknown event: {payload.event}"))
    if payload.production is not None:
        production = Production.objects.filter(
            organisation=organisation, name=payload.production
        ).first()
        if production is None:
            return Status(
                422, SegmentError(detail=f"production: unknown production: {payload.production}")
            )
    try:
        view = actions.create_view(
            segment=segment,
            name=payload.name,
            description=payload.description,
            filters=payload.filters,
            event=event,
            production=production,
        )
    except RuleError as error:
        return Status(422, SegmentError(detail=str(error)))
    return Status(201, _view_out(view))


@router.get("/views/{view_id}", response={200: ViewOut, **NOT_FOUND})
def get_view(request, view_id: int):
    return Status(200, _view_out(_view(request, view_id)))


@router.patch("/views/{view_id}", response={200: ViewOut, **BAD_RULES, **NOT_FOUND})
def update_view(request, view_id: int, payload: ViewPatch):
    """Change name, description or filters (`filters: {}` removes them)."""
    try:
        view = actions.update_view(view=_view(request, view_id), **payload.dict())
    except RuleError as error:
        return Status(422, SegmentError(detail=str(error)))
    return Status(200, _view_out(view))


@router.delete("/views/{view_id}", response={204: None, **NOT_FOUND})
def remove_view(request, view_id: int):
    """Remove the view; it can be restored."""
    actions.remove_view(view=_view(request, view_id))
    return Status(204, None)


@router.post("/views/{view_id}/restore", response={200: ViewOut, **NOT_FOUND})
def restore_view(request, view_id: int):
    view = _view(request, view_id)
    actions.restore_view(view=view)
    return Status(200, _view_out(view))


@router.get("/views/{view_id}/members", response={200: MembersOut, **NOT_FOUND})
def view_members_page(request, view_id: int, paging: Query[Paging]):
    return Status(200, _page(view_members(_view(request, view_id), paging.at), paging))


@router.get("/views/{view_id}/export", response={200: None, **NOT_FOUND})
def export_view(request, view_id: int, query: Query[ExportQuery]):
    """The view's members as CSV or xlsx, first column external_id."""
    view = _view(request, view_id)
    return _download(view_members(view, query.at), query, f"view-{view.pk}")


@router.get("", response=list[SegmentOut])
def list_segments(request, removed: bool = False):
    """Saved segments; `removed=true` lists the removed ones (to restore)."""
    return [_segment_out(s) for s in segments_of(request.organisation, removed=removed)]


@router.post("", response={201: SegmentOut, **BAD_RULES})
def create_segment(request, payload: SegmentIn):
    try:
        segment = actions.create_segment(
            organisation=request.organisation,
            name=payload.name,
            description=payload.description,
            rules=payload.rules,
        )
    except RuleError as error:
        return Status(422, SegmentError(detail=str(error)))
    return Status(201, _segment_out(segment))


@router.get("/{segment_id}", response={200: SegmentOut, **NOT_FOUND})
def get_segment(request, segment_id: int):
    return Status(200, _segment_out(_segment(request, segment_id)))


@router.patch("/{segment_id}", response={200: SegmentOut, **BAD_RULES, **NOT_FOUND})
def update_segment(request, segment_id: int, payload: SegmentPatch):
    try:
        segment = actions.update_segment(segment=_segment(request, segment_id), **payload.dict())
    except RuleError as error:
        return Status(422, SegmentError(detail=str(error)))
    return Status(200, _segment_out(segment))


@router.delete("/{segment_id}", response={204: None, **NOT_FOUND})
def remove_segment(request, segment_id: int):
    """Remove the segment; it can be restored."""
    actions.remove_segment(segment=_segment(request, segment_id))
    return Status(204, None)


@router.post("/{segment_id}/restore", response={200: SegmentOut, **NOT_FOUND})
def restore_segment(request, segment_id: int):
    segment = _segment(request, segment_id)
    actions.restore_segment(segment=segment)
    return Status(200, _segment_out(segment))


@router.get("/{segment_id}/count", response={200: CountOut, **NOT_FOUND})
def count_segment(request, segment_id: int, at: datetime | None = None):
    segment = _segment(request, segment_id)
    return Status(200, count_rules(request.organisation, segment.rules, at))


@router.get("/{segment_id}/members", response={200: MembersOut, **NOT_FOUND})
def segment_members_page(request, segment_id: int, paging: Query[Paging]):
    """The members now (or at `at`), 50 a page by default, sorted by name."""
    return Status(200, _page(segment_members(_segment(request, segment_id), paging.at), paging))


@router.get("/{segment_id}/export", response={200: None, **NOT_FOUND})
def export_segment(request, segment_id: int, query: Query[ExportQuery]):
    """The members as CSV or xlsx, first column external_id; `all_data` for re-import."""
    segment = _segment(request, segment_id)
    return _download(segment_members(segment, query.at), query, f"segment-{segment.pk}")


@router.post("/{segment_id}/tag", response={200: TagOut, **BAD_RULES, **NOT_FOUND})
def tag_segment(request, segment_id: int, payload: TagIn):
    """Tag every member; answers how many already had the tag and how many have it now."""
    segment = _segment(request, segment_id)
    try:
        result = actions.tag_members(
            organisation=request.organisation,
            members=segment_members(segment),
            tag_name=payload.tag,
        )
    except RuleError as error:
        return Status(422, SegmentError(detail=str(error)))
    return Status(200, TagOut(**result.__dict__))
