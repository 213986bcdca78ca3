"""Customer pages: the list, one customer's page, and editing them."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from regulars.customers.models import Customer, CustomerGroup, Tag
from regulars.web.access import get_object_for_org, row_id, staff_view

from .changes import save_customer_form
from .forms import CustomerForm
from .history import customer_history
from .listing import SORTS, CustomerFilters, customer_page

# Sections other areas fill: the first template that exists is shown, so the loyalty and
# campaign areas add theirs without touching this page; the last is the empty state.
POINTS_TEMPLATES = ["web/loyalty/_customer_points.html", "web/customers/_points.html"]
MESSAGES_TEMPLATES = ["web/campaigns/_customer_messages.html", "web/customers/_messages.html"]


def _choice(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else ""


def _filters_from(query) -> CustomerFilters:
    return CustomerFilters(
        q=query.get("q", "").strip()[:200],
        group=row_id(query.get("group")),
        tag=row_id(query.get("tag")),
        consent=query.get("consent", "")
        if query.get("consent") in ("email", "sms", "none")
        else "",
        member=query.get("member", "") if query.get("member") in ("yes", "no") else "",
        sort=query.get("sort", "") if query.get("sort") in SORTS else "name",
    )


@staff_view("view")
def customer_list(request):
    filters = _filters_from(request.GET)
    page = customer_page(
        request.organisation,
        filters,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    context = {
        "page": page,
        "filters": filters,
        "groups": CustomerGroup.objects.filter(organisation=request.organisation),
        "tags": Tag.objects.filter(organisation=request.organisation),
    }
    template = "web/customers/_results.html" if request.htmx else "web/customers/list.html"
    return render(request, template, context)


@staff_view("view")
def customer_detail(request, customer_id: int):
    customer = get_object_for_org(request, Customer, pk=customer_id, erased_at__isnull=True)
    context = {
        "customer": customer,
        **customer_history(customer),
        "points_templates": POINTS_TEMPLATES,
        "messages_templates": MESSAGES_TEMPLATES,
    }
    return render(request, "web/customers/detail.html", context)


@staff_view("edit")
def customer_edit(request, customer_id: int):
    customer = get_object_for_org(request, Customer, pk=customer_id, erased_at__isnull=True)
    form = CustomerForm(
        request.POST or None, instance=customer, can_market=request.membership.can_market
    )
    if request.method == "POST" and form.is_valid():
        save_customer_form(form=form, actor=request.user)
        messages.success(request, _("The customer is saved."))
        return redirect("web:customer", customer.pk)
    return render(request, "web/customers/edit.html", {"customer": customer, "form": form})
