"""A basket kept on the server while the till rings it up (LOY-5: apply and cancel points).

Applying points only marks the line; the points are spent when the basket completes.
"""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from regulars.commerce.models import Item
from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from .errors import LoyaltyError, NotFound
from .models import Basket, BasketLine
from .till import LineInput, Quote, Receipt, complete_sale, price_line, quote_basket


def basket_lines(basket: Basket) -> list[LineInput]:
    return [
        LineInput(
            item_number=line.item.number,
            quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
            discount_cents=line.discount_cents,
            points_program_id=line.points_program_id,
        )
        for line in basket.lines.select_related("item")
    ]


def quote_for(basket: Basket) -> Quote:
    return quote_basket(
        organisation=basket.organisation,
        customer=basket.customer,
        lines=basket_lines(basket),
        channel=basket.channel,
    )


def _open(basket: Basket) -> Basket:
    locked = Basket.objects.select_for_update().get(pk=basket.pk)
    if locked.status != Basket.Status.OPEN:
        raise LoyaltyError("basket_closed", _("the sale is already completed"))
    return locked


@transaction.atomic
def open_basket(
    *, organisation: Organisation, customer: Customer | None = None, channel: str = "pos"
) -> Basket:
    basket = Basket.objects.create(organisation=organisation, customer=customer, channel=channel)
    quote_for(basket)  # validates the channel
    return basket


@transaction.atomic
def set_basket_customer(*, basket: Basket, customer: Customer | None) -> Basket:
    """Choose (or clear) the customer; points on lines are cancelled with the old customer."""
    basket = _open(basket)
    basket.customer = customer
    basket.save(update_fields=["customer"])
    basket.lines.update(points_program=None)
    return basket


@transaction.atomic
def add_basket_line(
    *,
    basket: Basket,
    item_number: str,
    quantity: int = 1,
    unit_price_cents: int | None = None,
    discount_cents: int = 0,
) -> BasketLine:
    basket = _open(basket)
    item = Item.objects.filter(organisation=basket.organisation, number=item_number).first()
    if item is None:
        raise LoyaltyError(
            "unknown_item", _("unknown item number %(number)r") % {"number": item_number}
        )
    last = basket.lines.aggregate(last=Max("line_number"))["last"] or 0
    line = BasketLine(
        basket=basket,
        line_number=last + 1,
        item=item,
        quantity=quantity,
        unit_price_cents=item.price_cents if unit_price_cents is None else unit_price_cents,
        discount_cents=discount_cents,
    )
    # Refuses a bad quantity, price or discount before anything is written.
    priced = LineInput(item.number, quantity, line.unit_price_cents, discount_cents)
    price_line(line.line_number, priced, item)
    line.save()
    return line


def _line(basket: Basket, line_number: int) -> BasketLine:
    line = basket.lines.filter(line_number=line_number).first()
    if line is None:
        raise NotFound("line")
    return line


@transaction.atomic
def remove_basket_line(*, basket: Basket, line_number: int) -> None:
    basket = _open(basket)
    _line(basket, line_number).delete()


@transaction.atomic
def apply_points(*, basket: Basket, line_number: int, program_id: int) -> Quote:
    """Pay a whole line with points ('Benyt'); refused unless the customer can afford it."""
    basket = _open(basket)
    line = _line(basket, line_number)
    line.points_program_id = program_id
    line.save(update_fields=["points_program"])
    return quote_for(basket)


@transaction.atomic
def cancel_points(*, basket: Basket, line_number: int) -> Quote:
    """Undo `apply_points` before the sale completes; everything is as before."""
    basket = _open(basket)
    line = _line(basket, line_number)
    line.points_program = None
    line.save(update_fields=["points_program"])
    return quote_for(basket)


@transaction.atomic
def complete_basket(*, basket: Basket, receipt_id: str = "", gift_card_code: str = "") -> Receipt:
    basket = _open(basket)
    receipt = complete_sale(
        organisation=basket.organisation,
        customer=basket.customer,
        lines=basket_lines(basket),
        channel=basket.channel,
        receipt_id=receipt_id,
        gift_card_code=gift_card_code,
    )
    basket.status = Basket.Status.COMPLETED
    basket.sale = receipt.sale
    basket.save(update_fields=["status", "sale"])
    return receipt
