"""Loyalty reports (LOY-7, LOY-11): redeemed points, all entries with filters and export,
per-customer history, manual adjustments."""

import csv
import datetime
import io

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from regulars.customers.models import Customer
from regulars.loyalty.actions import adjust_points
from regulars.loyalty.errors import LoyaltyError
from regulars.loyalty.models import EntryKind, Program
from regulars.loyalty.queries import entries_report, history, programs_for, redeemed_report
from regulars.web.access import get_object_for_org, staff_view

from .forms import AdjustmentForm


def _day(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _local_start(organisation, day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=organisation.tz)


def _period(request) -> tuple[datetime.date, datetime.date]:
    today = timezone.now().astimezone(request.organisation.tz).date()
    start = _day(request.GET.get("from")) or today.replace(day=1)
    end = _day(request.GET.get("to")) or today
    return start, end


def _bounds(request, start, end):
    org = request.organisation
    return _local_start(org, start), _local_start(org, end + datetime.timedelta(days=1))


def _export(rows: list[list], header: list[str], name: str, fmt: str) -> HttpResponse:
    if fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows(rows)
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@staff_view("market")
def redeemed(request: HttpRequest, program_id: int) -> HttpResponse:
    """Date, receipt id, item number, item name, quantity, points (LOY-7)."""
    program = get_object_for_org(request, Program, pk=program_id)
    start, end = _period(request)
    entries = redeemed_report(request.organisation, program, *_bounds(request, start, end))  # type: ignore[attr-defined]
    rows = [
        [
            timezone.localtime(e.created_at).date().isoformat(),
            e.sale_line.sale.receipt_id,
            e.sale_line.item.number,
            e.sale_line.item.name,
            e.sale_line.quantity,
            -e.amount,
        ]
        for e in entries
    ]
    header = [
        _("Date"),
        _("Receipt id"),
        _("Item number"),
        _("Item name"),
        _("Quantity"),
        _("Points"),
    ]
    if request.GET.get("format") in {"csv", "xlsx"}:
        return _export(rows, header, f"redeemed-{program.pk}", request.GET["format"])
    context = {"program": program, "rows": rows, "header": header, "start": start, "end": end}
    return render(request, "web/loyalty/redeemed.html", context)


def _entry_filters(request, programs):
    program_id = request.GET.get("program", "")
    kind = request.GET.get("kind", "")
    return {
        "program": programs.filter(pk=program_id).first() if program_id.isdigit() else None,
        "kind": kind if kind in EntryKind.values else "",
        "q": request.GET.get("q", "").strip()[:100],
    }


@staff_view("market")
def entries(request: HttpRequest) -> HttpResponse:
    """All earned and spent points, filtered; export; manual adjustments (LOY-11)."""
    organisation = request.organisation  # type: ignore[attr-defined]
    programs = programs_for(organisation)
    form = AdjustmentForm(request.POST or None, programs=programs)
    if request.method == "POST":
        return _adjust(request, form)
    filters = _entry_filters(request, programs)
    start, end = _period(request)
    found = entries_report(
        organisation,
        program=filters["program"],
        kind=filters["kind"],
        start=_bounds(request, start, end)[0],
        end=_bounds(request, start, end)[1],
    )
    if filters["q"]:
        q = filters["q"]
        found = found.filter(
            Q(customer__email__icontains=q)
            | Q(customer__first_name__icontains=q)
            | Q(customer__last_name__icontains=q)
            | Q(customer__external_id=q)
        )
    rows = [
        [
            timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M"),
            e.program.name,
            e.customer.external_id or "",
            str(e.customer),
            e.get_kind_display(),
            e.amount,
            e.balance_after,
            e.description,
        ]
        for e in found[:5000]
    ]
    header = [
        _("Time"),
        _("Program"),
        _("External id"),
        _("Customer"),
        _("Kind"),
        _("Points"),
        _("Balance after"),
        _("Description"),
    ]
    if request.GET.get("format") in {"csv", "xlsx"}:
        return _export(rows, header, "loyalty-points", request.GET["format"])
    context = {
        "rows": rows[:500],
        "header": header,
        "programs": programs,
        "filters": filters,
        "kinds": EntryKind.choices,
        "start": start,
        "end": end,
        "form": form,
        "customer_ids": [e.customer_id for e in found[:500]],
    }
    return render(request, "web/loyalty/entries.html", context)


def _adjust(request, form: AdjustmentForm) -> HttpResponse:
    if not form.is_valid():
        messages.error(request, _("Fill in customer, program, points and description."))
        return redirect("web:loyalty_entries")
    ref = form.cleaned_data["customer"].strip()
    customer = Customer.objects.filter(
        Q(email__iexact=ref) | Q(external_id=ref),
        organisation=request.organisation,
        erased_at__isnull=True,
    ).first()
    if customer is None:
        messages.error(request, _("No such customer."))
        return redirect("web:loyalty_entries")
    try:
        adjust_points(
            program=form.cleaned_data["program"],
            customer=customer,
            amount=form.cleaned_data["amount"],
            description=form.cleaned_data["description"],
            staff_user=request.user,
        )
    except LoyaltyError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("The points are changed and the customer is notified."))
    return redirect("web:loyalty_customer", customer.pk)


@staff_view("view")
def customer_history(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_object_for_org(request, Customer, pk=customer_id)
    programs = list(programs_for(request.organisation))  # type: ignore[attr-defined]
    context = {"customer": customer, "entries": history(customer, programs)[:500]}
    return render(request, "web/loyalty/customer.html", context)
