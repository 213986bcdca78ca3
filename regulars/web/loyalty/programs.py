"""Program settings (LOY-1 … 4, 9, 10, 12, 13): programs, item and service rules, gift cards."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from regulars.commerce.models import Item, Service, cents_to_decimal
from regulars.loyalty import actions
from regulars.loyalty.errors import LoyaltyError
from regulars.loyalty.models import GiftCardProduct, ItemRulePeriod, Program
from regulars.loyalty.notifications import settings_for
from regulars.loyalty.queries import dealer_totals
from regulars.web.access import get_object_for_org, staff_view

from .forms import (
    GiftCardProductEditForm,
    GiftCardProductForm,
    ItemRuleForm,
    ProgramForm,
    ServiceRuleForm,
    TemplatesForm,
)


@staff_view("market")
def program_list(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    if request.method == "POST":
        return _program_list_post(request, organisation)
    supplier_programs = []
    if organisation.supplier_id:
        used = set(
            organisation.programuse_set.filter(active=True).values_list("program_id", flat=True)
        )
        supplier_programs = [
            (p, p.pk in used) for p in Program.objects.filter(organisation=organisation.supplier)
        ]
    context = {
        "programs": Program.objects.filter(organisation=organisation),
        "supplier_programs": supplier_programs,
    }
    return render(request, "web/loyalty/programs.html", context)


def _program_list_post(request, organisation) -> HttpResponse:
    if "name" in request.POST:
        try:
            program = actions.create_program(organisation=organisation, name=request.POST["name"])
        except LoyaltyError as refused:
            messages.error(request, refused.message)
            return redirect("web:loyalty_programs")
        return redirect("web:loyalty_program", program.pk)
    active = set(request.POST.getlist("active"))
    for program in Program.objects.filter(organisation=organisation):
        if program.active != (str(program.pk) in active):
            actions.update_program(program=program, active=str(program.pk) in active)
    if organisation.supplier_id:
        used = set(request.POST.getlist("use"))
        for program in Program.objects.filter(organisation=organisation.supplier):
            actions.set_program_use(
                program=program, dealer=organisation, use=str(program.pk) in used
            )
    messages.success(request, _("The point programs are updated."))
    return redirect("web:loyalty_programs")


@staff_view("market")
def program_edit(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_object_for_org(request, Program, pk=program_id)
    form = ProgramForm(request.POST or None, instance=program, prefix="program")
    if request.method == "POST" and "program-name" in request.POST and form.is_valid():
        try:
            actions.update_program(
                program=Program.objects.get(pk=program.pk),
                **{name: form.cleaned_data[name] for name in form.Meta.fields},
            )
        except LoyaltyError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("The point program is updated."))
            return redirect("web:loyalty_program", program.pk)
    context = {
        "program": program,
        "form": form,
        "rules": program.item_rules.select_related("item").prefetch_related("periods"),
        "service_rules": program.service_rules.select_related("service"),
        "gift_products": program.gift_products.all(),
        "rule_form": ItemRuleForm(prefix="rule"),
        "service_form": ServiceRuleForm(prefix="service"),
        "gift_form": GiftCardProductForm(prefix="gift"),
        "dealers": dealer_totals(program.organisation, program)
        if program.organisation.is_supplier
        else None,
    }
    return render(request, "web/loyalty/program.html", context)


def _refusing(request, program: Program, act) -> HttpResponse:
    try:
        act()
    except LoyaltyError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("web:loyalty_program", program.pk)


@staff_view("market")
def item_rule(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_object_for_org(request, Program, pk=program_id)
    form = ItemRuleForm(request.POST, prefix="rule")
    if request.method != "POST" or not form.is_valid():
        messages.error(request, _("Check the item's points."))
        return redirect("web:loyalty_program", program.pk)
    data = form.cleaned_data
    item = Item.objects.filter(
        organisation=program.organisation, number=data["item_number"]
    ).first()
    if item is None:
        messages.error(request, _("Unknown item number."))
        return redirect("web:loyalty_program", program.pk)
    terms = {
        "points_earned": data["points_earned"],
        "point_price": data["point_price"],
        "purchasable_for_points": data["purchasable_for_points"],
    }

    def save():
        if data["starts_on"] and data["ends_on"]:
            rule = program.item_rules.filter(item=item).first() or actions.set_item_rule(
                program=program,
                item=item,
                points_earned=0,
                point_price=0,
                purchasable_for_points=False,
            )
            actions.add_rule_period(
                rule=rule, starts_on=data["starts_on"], ends_on=data["ends_on"], **terms
            )
        else:
            actions.set_item_rule(program=program, item=item, **terms)

    return _refusing(request, program, save)


@staff_view("market")
def delete_period(request: HttpRequest, program_id: int, period_id: int) -> HttpResponse:
    program = get_object_for_org(request, Program, pk=program_id)
    period = ItemRulePeriod.objects.filter(rule__program=program, pk=period_id).first()
    if period is None or request.method != "POST":
        raise Http404
    return _refusing(request, program, lambda: actions.delete_rule_period(period=period))


@staff_view("market")
def service_rule(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_object_for_org(request, Program, pk=program_id)
    form = ServiceRuleForm(request.POST, prefix="service")
    service = None
    if request.method == "POST" and form.is_valid():
        service = Service.objects.filter(
            organisation=program.organisation, name=form.cleaned_data["service"]
        ).first()
    if service is None:
        messages.error(request, _("Unknown service."))
        return redirect("web:loyalty_program", program.pk)
    return _refusing(
        request,
        program,
        lambda: actions.set_service_rule(
            program=program, service=service, points=form.cleaned_data["points"]
        ),
    )


@staff_view("market")
def gift_product(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_object_for_org(request, Program, pk=program_id)
    form = GiftCardProductForm(request.POST, prefix="gift")
    if request.method != "POST" or not form.is_valid():
        messages.error(request, _("Check the gift card."))
        return redirect("web:loyalty_program", program.pk)
    data = form.cleaned_data
    return _refusing(
        request,
        program,
        lambda: actions.create_gift_card_product(
            program=program,
            name=data["name"],
            value_cents=int(data["value"] * 100),
            point_price=data["point_price"],
            valid_days=data["valid_days"],
        ),
    )


@staff_view("market")
def gift_product_edit(request: HttpRequest, program_id: int, product_id: int) -> HttpResponse:
    """Name, value, point price, validity and whether customers can still buy it (LOY-10)."""
    program = get_object_for_org(request, Program, pk=program_id)
    product = GiftCardProduct.objects.filter(program=program, pk=product_id).first()
    if product is None:
        raise Http404
    initial = {
        "name": product.name,
        "value": cents_to_decimal(product.value_cents),
        "point_price": product.point_price,
        "valid_days": product.valid_days,
        "active": product.active,
    }
    form = GiftCardProductEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_gift_card_product(
                product=product,
                name=data["name"],
                value_cents=int(data["value"] * 100),
                point_price=data["point_price"],
                valid_days=data["valid_days"],
                active=data["active"],
            )
        except LoyaltyError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("The gift card is updated."))
            return redirect("web:loyalty_program", program.pk)
    elif request.method == "POST":
        messages.error(request, _("Check the gift card."))
    context = {"program": program, "product": product, "form": form}
    return render(request, "web/loyalty/gift_product.html", context)


@staff_view("market")
def templates(request: HttpRequest) -> HttpResponse:
    """The two notification texts: points added automatically, manual changes (LOY-13)."""
    organisation = request.organisation  # type: ignore[attr-defined]
    form = TemplatesForm(request.POST or None, instance=settings_for(organisation))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_notification_templates(organisation=organisation, **form.cleaned_data)
        except LoyaltyError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:loyalty_templates")
    return render(request, "web/loyalty/templates.html", {"form": form})
