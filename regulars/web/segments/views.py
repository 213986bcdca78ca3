"""Segment dashboard (SEG-2, SEG-6, SEG-7): build a rule tree with live counts, save it,
list, remove and restore segments, export and tag their members."""

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from regulars.commerce.models import Event, Item, ItemGroup, Production, Service, Venue
from regulars.customers.models import CustomerGroup, Permission, Tag
from regulars.segments import actions
from regulars.segments.criteria import CRITERIA
from regulars.segments.engine import MAX_RULES_BYTES, RuleError, compile_rules, count_rules
from regulars.segments.exports import CONTENT_TYPES, export_members
from regulars.segments.models import SavedSegment, SavedView
from regulars.segments.queries import (
    first_members,
    segment_members,
    segments_of,
    view_members,
)
from regulars.web.access import get_object_for_org, return_url, staff_view

# Choices for the parameter kinds the criteria declare (see Criterion.parameters): the
# value the rules hold and the label the builder shows.
CHOICES: dict[str, list[tuple[str, Promise]]] = {
    "genders": [
        ("female", gettext_lazy("women")),
        ("male", gettext_lazy("men")),
        ("unknown", gettext_lazy("unknown")),
    ],
    "birthday_unit": [("days", gettext_lazy("days")), ("months", gettext_lazy("months"))],
    "sale_channel": [
        ("all", gettext_lazy("all")),
        ("pos", gettext_lazy("till")),
        ("adhoc", gettext_lazy("ad hoc")),
    ],
    "consent_channel": [("email", gettext_lazy("e-mail")), ("sms", gettext_lazy("SMS"))],
    "sales_type": [
        ("online", gettext_lazy("online only")),
        ("boxoffice", gettext_lazy("box office only")),
        ("both", gettext_lazy("online & box office")),
        ("all", gettext_lazy("all")),
    ],
    "count_op": [("gte", gettext_lazy("or more")), ("eq", gettext_lazy("exactly"))],
    "last_purchase_mode": [
        ("within", gettext_lazy("within the last days")),
        ("exactly", gettext_lazy("exactly days ago")),
        ("not_within", gettext_lazy("not within the last days")),
    ],
    "individual_op": [
        ("eq", gettext_lazy("equals")),
        ("neq", gettext_lazy("differs from")),
        ("contains", gettext_lazy("contains")),
        ("gte", gettext_lazy("at least")),
        ("lte", gettext_lazy("at most")),
    ],
}
EMPTY_RULES: dict[str, Any] = {"match": "all", "criteria": []}
# Labels of the parameter keys the criteria use (SPEC 9.3 names).
PARAMETER_LABELS = {
    "values": gettext_lazy("genders"),
    "from": gettext_lazy("from"),
    "to": gettext_lazy("to"),
    "unit": gettext_lazy("unit"),
    "period": gettext_lazy("period"),
    "services": gettext_lazy("services"),
    "groups": gettext_lazy("groups"),
    "items": gettext_lazy("item numbers"),
    "channel": gettext_lazy("channel"),
    "min": gettext_lazy("min"),
    "max": gettext_lazy("max"),
    "item_group": gettext_lazy("item group"),
    "events": gettext_lazy("events"),
    "productions": gettext_lazy("productions"),
    "days_back": gettext_lazy("days back"),
    "max_days": gettext_lazy("max days before the event"),
    "value": gettext_lazy("value"),
    "op": gettext_lazy("comparison"),
    "mode": gettext_lazy("mode"),
    "days": gettext_lazy("days"),
    "permissions": gettext_lazy("permissions"),
    "tags": gettext_lazy("tags"),
    "venue": gettext_lazy("venue"),
    "max_km": gettext_lazy("max km"),
    "kind": gettext_lazy("kind"),
    "attribute": gettext_lazy("attribute"),
}


def _names(request: HttpRequest) -> dict[str, list[str]]:
    """The organisation's pickable names per parameter kind."""
    organisation = request.organisation  # type: ignore[attr-defined]

    def names(model: Any, field: str = "name") -> list[str]:
        rows = model.objects.filter(organisation=organisation).order_by(field)
        return list(rows.values_list(field, flat=True)[:2000])

    item_groups = names(ItemGroup)
    return {
        "customer_groups": names(CustomerGroup),
        "tags": names(Tag),
        "permissions": names(Permission),
        "items": names(Item, "number"),
        "item_groups": item_groups,
        "item_group": item_groups,
        "services": names(Service),
        "events": names(Event, "external_id"),
        "productions": names(Production),
        "venue": names(Venue),
    }


def _catalogue(request: HttpRequest) -> dict[str, Any]:
    """What the builder script needs: criteria, their parameters and the pickable values."""
    return {
        "criteria": [
            {"type": key, "label": str(cls.label), "parameters": cls.parameters}
            for key, cls in CRITERIA.items()
        ],
        "choices": {
            **{
                kind: [[value, str(label)] for value, label in pairs]
                for kind, pairs in CHOICES.items()
            },
            **_names(request),
        },
        "parameter_labels": {key: str(label) for key, label in PARAMETER_LABELS.items()},
        "labels": {
            "all": _("all of"),
            "any": _("any of"),
            "opposite": _("Opposite"),
            "remove": _("Remove"),
            "add": _("Add criterion"),
            "add_group": _("Add group"),
            "exclude": _("Exclude"),
            "add_exclude": _("Add exclusion"),
            "customers": _("customers"),
            "last_days": _("last days"),
            "next_days": _("next days"),
            "dates": _("from–to"),
        },
    }


@staff_view(permission="market")
def segment_list(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    return render(
        request,
        "web/segments/list.html",
        {
            "segments": segments_of(organisation),
            "removed": segments_of(organisation, removed=True),
        },
    )


@staff_view(permission="market")
def segment_builder(request: HttpRequest, segment_id: int | None = None) -> HttpResponse:
    segment = get_object_for_org(request, SavedSegment, pk=segment_id) if segment_id else None
    organisation = request.organisation  # type: ignore[attr-defined]
    views = []
    if segment is not None:
        views = [
            (view, view_members(view).count())
            for view in segment.views.select_related("event", "production").order_by("name")
        ]
    return render(
        request,
        "web/segments/builder.html",
        {
            "segment": segment,
            "rules": segment.rules if segment else EMPTY_RULES,
            "catalogue": _catalogue(request),
            "views": views,
            "events": Event.objects.filter(organisation=organisation).select_related("production"),
            "productions": Production.objects.filter(organisation=organisation),
        },
    )


@staff_view(permission="market")
@require_POST
def view_create(request: HttpRequest, segment_id: int) -> HttpResponse:
    """A view of the segment: optional extra filters and 'show for' event or production."""
    segment = get_object_for_org(request, SavedSegment, pk=segment_id)
    target = request.POST.get("show_for", "")
    event = production = None
    if target.startswith("event:"):
        event = get_object_for_org(request, Event, pk=target.removeprefix("event:"))
    elif target.startswith("production:"):
        production = get_object_for_org(request, Production, pk=target.removeprefix("production:"))
    try:
        filters = _rules_from(request) if request.POST.get("with_filters") else None
        actions.create_view(
            segment=segment,
            name=request.POST.get("name", ""),
            filters=filters,
            event=event,
            production=production,
            actor=request.user,  # type: ignore[arg-type]
        )
    except RuleError as error:
        messages.error(request, _("Not saved: %(reason)s") % {"reason": error})
    return redirect("web:segment", segment_id=segment.pk)


@staff_view(permission="market")
@require_POST
def view_remove(request: HttpRequest, view_id: int) -> HttpResponse:
    view = get_object_for_org(request, SavedView, pk=view_id)
    if view.is_removed:
        actions.restore_view(view=view)
    else:
        actions.remove_view(view=view)
    return redirect("web:segment", segment_id=view.segment_id)


@staff_view(permission="market")
def view_export(request: HttpRequest, view_id: int) -> HttpResponse:
    view = get_object_for_org(request, SavedView, pk=view_id)
    return _download(view_members(view), request, f"view-{view.pk}")


def _rules_from(request: HttpRequest) -> Any:
    """The rule tree of a form post, a JSON body, or a GET's `rules` parameter."""
    if request.method == "GET":
        raw = request.GET.get("rules")
    else:
        raw = request.POST.get("rules") if request.POST else request.body.decode()
    if raw is None or len(raw.encode()) > MAX_RULES_BYTES:
        raise RuleError("", "the rules are missing or larger than 256 KB")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise RuleError("", "the rules are not JSON") from error


@staff_view(permission="market")
@require_http_methods(["GET", "POST"])
def segment_count(request: HttpRequest) -> JsonResponse:
    """Live counts for the builder: totals, each criterion, the first 50 customers.

    A read, so GET (?rules=…) serves viewers too; POST carries trees too long for a URL.
    """
    organisation = request.organisation  # type: ignore[attr-defined]
    try:
        rules = _rules_from(request)
        counts = count_rules(organisation, rules)
        members = first_members(compile_rules(organisation, rules))
    except RuleError as error:
        return JsonResponse({"error": str(error)}, status=422)
    counts["members"] = [
        {
            "name": customer.full_name,
            "external_id": customer.external_id or "",
            "email": customer.email,
            "mobile": customer.mobile,
            "url": _customer_url(customer.pk),
        }
        for customer in members
    ]
    return JsonResponse(counts)


def _customer_url(customer_id: int) -> str:
    try:
        return reverse("web:customer", args=[customer_id])
    except NoReverseMatch:  # without the customer pages the list simply has no links
        return ""


@staff_view(permission="market")
@require_POST
def segment_save(request: HttpRequest) -> HttpResponse:
    """Save the builder's tree as a new segment or over an existing one."""
    organisation = request.organisation  # type: ignore[attr-defined]
    segment_id = request.POST.get("segment")
    try:
        rules = _rules_from(request)
        if segment_id:
            segment = get_object_for_org(request, SavedSegment, pk=segment_id)
            actions.update_segment(
                segment=segment,
                name=request.POST.get("name", ""),
                description=request.POST.get("description", ""),
                rules=rules,
            )
        else:
            segment = actions.create_segment(
                organisation=organisation,
                name=request.POST.get("name", ""),
                description=request.POST.get("description", ""),
                rules=rules,
                actor=request.user,  # type: ignore[arg-type]
            )
    except RuleError as error:
        messages.error(request, _("Not saved: %(reason)s") % {"reason": error})
        return HttpResponseRedirect(return_url(request, "back", reverse("web:segment_new")))
    messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
    return redirect("web:segment", segment_id=segment.pk)


@staff_view(permission="market")
@require_POST
def segment_remove(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = get_object_for_org(request, SavedSegment, pk=segment_id)
    actions.remove_segment(segment=segment)
    messages.success(request, _("Segment “%(name)s” removed.") % {"name": segment.name})
    return redirect("web:segments")


@staff_view(permission="market")
@require_POST
def segment_restore(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = get_object_for_org(request, SavedSegment, pk=segment_id)
    actions.restore_segment(segment=segment)
    messages.success(request, _("Segment “%(name)s” restored.") % {"name": segment.name})
    return redirect("web:segments")


@staff_view(permission="market")
def segment_export(request: HttpRequest, segment_id: int) -> HttpResponse:
    """Download the members: ?format=csv|xlsx, &all_data=1 for the re-import format."""
    segment = get_object_for_org(request, SavedSegment, pk=segment_id)
    return _download(segment_members(segment), request, f"segment-{segment.pk}")


def _download(members: Any, request: HttpRequest, name: str) -> HttpResponse:
    file_format = request.GET.get("format", "csv")
    if file_format not in CONTENT_TYPES:
        file_format = "csv"
    full = request.GET.get("all_data") == "1"
    content = export_members(members, file_format, full=full)
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


@staff_view(permission="market")
@require_POST
def segment_tag(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = get_object_for_org(request, SavedSegment, pk=segment_id)
    try:
        result = actions.tag_members(
            organisation=segment.organisation,
            members=segment_members(segment),
            tag_name=request.POST.get("tag", ""),
        )
    except RuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "Tagged %(members)s customers: %(already)s already had the tag, "
                "%(total)s customers carry it now."
            )
            % {
                "members": result.members,
                "already": result.already_tagged,
                "total": result.total_tagged,
            },
        )
    return redirect("web:segment", segment_id=segment.pk)
