"""The customer's own page (PORTAL-1), reached by a signed link: points, gift cards,
consents and unsubscribe, in the customer's language."""

from contextlib import contextmanager

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulars.customers.actions import record_consent
from regulars.customers.links import customer_id_from_token
from regulars.customers.models import Customer
from regulars.loyalty.actions import forfeit_points_for_unsubscribe
from regulars.loyalty.errors import LoyaltyError
from regulars.loyalty.giftcards import buy_gift_card, products_for
from regulars.loyalty.queries import balances_of, history, programs_for

SOURCE = "customer page"


def _customer(token: str) -> Customer:
    customer_id = customer_id_from_token(token)
    customer = Customer.objects.filter(pk=customer_id, erased_at__isnull=True).first()
    if customer_id is None or customer is None:
        raise Http404
    return customer


@contextmanager
def _in_language(customer: Customer):
    """The customer's language, and the organisation's local dates and times."""
    organisation = customer.organisation
    language = customer.language or organisation.language
    with translation.override(language), timezone.override(organisation.tz):
        yield


def page(request: HttpRequest, token: str) -> HttpResponse:
    customer = _customer(token)
    visible = list(
        programs_for(customer.organisation)
        .filter(active=True, customer_can_see_balance=True)
        .order_by("pk")
    )
    balances = balances_of(customer, visible)
    forfeiting = [
        p
        for p in programs_for(customer.organisation).filter(forfeit_on_unsubscribe=True)
        if p.unsubscribe_warning
    ]
    context = {
        "token": token,
        "customer": customer,
        "organisation": customer.organisation,
        "balances": [(p, balances[p.pk]) for p in visible],
        "entries": history(customer, visible)[:100],
        "products": [
            (product, balances.get(product.program_id, 0) >= product.point_price)
            for product in products_for(customer.organisation)
            if product.program_id in balances
        ],
        "gift_cards": customer.gift_cards.all(),
        "warnings": [p.unsubscribe_warning for p in forfeiting],
    }
    with _in_language(customer):
        return render(request, "web/portal/page.html", context)


@require_POST
def buy(request: HttpRequest, token: str, product_id: int) -> HttpResponse:
    customer = _customer(token)
    product = products_for(customer.organisation).filter(pk=product_id).first()
    if product is None:
        raise Http404
    with _in_language(customer):
        try:
            card = buy_gift_card(customer=customer, product=product)
        except LoyaltyError:
            messages.error(request, _("You do not have enough points for this gift card."))
        else:
            messages.success(
                request,
                _("Your gift card code is %(code)s. We have e-mailed it to you.")
                % {"code": card.code},
            )
    return redirect("web:portal", token)


@require_POST
def consents(request: HttpRequest, token: str) -> HttpResponse:
    customer = _customer(token)
    for kind, current in (("email", customer.email_consent), ("sms", customer.sms_consent)):
        wanted = request.POST.get(kind) == "on"
        if wanted != current:
            record_consent(customer=customer, kind=kind, granted=wanted, source=SOURCE)
    if not customer.email_consent and not customer.sms_consent:
        forfeit_points_for_unsubscribe(customer=customer)
    with _in_language(customer):
        messages.success(request, _("Your choices are saved."))
    return redirect("web:portal", token)


@require_POST
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    customer = _customer(token)
    for kind, current in (("email", customer.email_consent), ("sms", customer.sms_consent)):
        if current:
            record_consent(customer=customer, kind=kind, granted=False, source=SOURCE)
    forfeit_points_for_unsubscribe(customer=customer)
    with _in_language(customer):
        messages.success(request, _("You are unsubscribed from the newsletter."))
    return redirect("web:portal", token)
