"""The till page (LOY-5, LOY-6): choose a customer, scan items, use points, complete, print.

It calls the same basket actions as the till API (`regulars/api/loyalty.py`).
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from regulars.commerce.models import Sale
from regulars.customers.models import Customer
from regulars.customers.queries import search_condition
from regulars.loyalty import baskets
from regulars.loyalty.errors import LoyaltyError
from regulars.loyalty.models import Basket, GiftCardUse, LedgerEntry
from regulars.loyalty.queries import active_programs
from regulars.web.access import get_object_for_org, row_id, staff_view


def _quantity(text: str) -> int:
    """The scanned quantity: 1 when left blank; 0 (refused) when not a whole number."""
    text = text.strip()
    if not text:
        return 1
    return int(text) if text.isdecimal() else 0


@staff_view("edit")
def till(request: HttpRequest) -> HttpResponse:
    """Start a new sale, or go on with an open one."""
    if request.method == "POST":
        basket = baskets.open_basket(organisation=request.organisation)  # type: ignore[attr-defined]
        return redirect("web:loyalty_basket", basket.pk)
    return render(request, "web/loyalty/till_start.html")


@staff_view("edit")
def basket_page(request: HttpRequest, basket_id: int) -> HttpResponse:
    basket = get_object_for_org(request, Basket, pk=basket_id)
    if basket.status == Basket.Status.COMPLETED and basket.sale_id:
        return redirect("web:loyalty_receipt", basket.sale_id)
    q = request.GET.get("q", "").strip()[:100]
    context = {
        "basket": basket,
        "quote": baskets.quote_for(basket),
        "q": q,
        "matches": _customer_matches(request, q) if q else [],
        "icons": _newsletter_icons(request.organisation, basket.customer),  # type: ignore[attr-defined]
    }
    return render(request, "web/loyalty/till.html", context)


def _newsletter_icons(organisation, customer) -> list[tuple[str, str]]:
    """(program name, icon) where the program requires the newsletter and shows an icon."""
    if customer is None:
        return []
    signed_up = customer.email_consent or customer.sms_consent
    icons = []
    for program in active_programs(organisation):
        if not program.newsletter_required:
            continue
        if signed_up and program.show_signed_up_icon:
            icons.append((program.name, program.get_signed_up_icon_display()))
        elif not signed_up and program.show_not_signed_up_icon:
            icons.append((program.name, program.get_not_signed_up_icon_display()))
    return icons


def _customer_matches(request, q: str):
    """The first ten customers the back office's customer search finds (names by the start
    of each word, or a whole e-mail address, mobile number or external id)."""
    organisation = request.organisation
    customers = Customer.objects.filter(organisation=organisation, erased_at__isnull=True)
    found = customers.filter(search_condition(organisation, customers, q))
    return found.order_by("last_name", "first_name", "id")[:10]


def _act(request, basket_id: int, act) -> HttpResponse:
    basket = get_object_for_org(request, Basket, pk=basket_id)
    try:
        act(basket)
    except LoyaltyError as refused:
        messages.error(request, refused.message)
    return redirect("web:loyalty_basket", basket.pk)


@require_POST
@staff_view("edit")
def choose_customer(request: HttpRequest, basket_id: int) -> HttpResponse:
    customer_id = row_id(request.POST.get("customer"))
    customer = (
        get_object_for_org(request, Customer, pk=customer_id, erased_at__isnull=True)
        if customer_id
        else None
    )
    return _act(
        request, basket_id, lambda b: baskets.set_basket_customer(basket=b, customer=customer)
    )


@require_POST
@staff_view("edit")
def scan(request: HttpRequest, basket_id: int) -> HttpResponse:
    number = request.POST.get("item_number", "").strip()
    quantity = _quantity(request.POST.get("quantity", ""))
    return _act(
        request,
        basket_id,
        lambda b: baskets.add_basket_line(basket=b, item_number=number, quantity=quantity),
    )


@require_POST
@staff_view("edit")
def remove_line(request: HttpRequest, basket_id: int, line_number: int) -> HttpResponse:
    return _act(
        request, basket_id, lambda b: baskets.remove_basket_line(basket=b, line_number=line_number)
    )


@require_POST
@staff_view("edit")
def use_points(request: HttpRequest, basket_id: int, line_number: int) -> HttpResponse:
    program_id = row_id(request.POST.get("program")) or 0
    return _act(
        request,
        basket_id,
        lambda b: baskets.apply_points(basket=b, line_number=line_number, program_id=program_id),
    )


@require_POST
@staff_view("edit")
def cancel_points(request: HttpRequest, basket_id: int, line_number: int) -> HttpResponse:
    return _act(
        request, basket_id, lambda b: baskets.cancel_points(basket=b, line_number=line_number)
    )


@require_POST
@staff_view("edit")
def complete(request: HttpRequest, basket_id: int) -> HttpResponse:
    basket = get_object_for_org(request, Basket, pk=basket_id)
    try:
        receipt = baskets.complete_basket(
            basket=basket, gift_card_code=request.POST.get("gift_card_code", "").strip()
        )
    except LoyaltyError as refused:
        messages.error(request, refused.message)
        return redirect("web:loyalty_basket", basket.pk)
    return redirect("web:loyalty_receipt", receipt.sale.pk)


@staff_view("view")
def receipt(request: HttpRequest, sale_id: int) -> HttpResponse:
    """The receipt (bon): lines, points earned and used, the new balance per program."""
    sale = get_object_for_org(request, Sale, pk=sale_id)
    entries = LedgerEntry.objects.filter(sale_line__sale=sale).select_related("program")
    programs: dict[int, dict] = {}
    for entry in entries.order_by("id"):
        row = programs.setdefault(
            entry.program_id, {"name": entry.program.name, "earned": 0, "used": 0}
        )
        row["earned" if entry.amount > 0 else "used"] += abs(entry.amount)
        row["balance"] = entry.balance_after
    total = sum(line.amount_cents for line in sale.lines.all())
    gift_card = sum(use.amount_cents for use in GiftCardUse.objects.filter(sale=sale))
    context = {
        "sale": sale,
        "lines": sale.lines.select_related("item"),
        "total_cents": total,
        "gift_card_cents": gift_card,
        "due_cents": total - gift_card,
        "programs": programs.values(),
    }
    return render(request, "web/loyalty/receipt.html", context)
