"""Loyalty at the till (LOY-8): quote, baskets with points on lines, complete, adjust.

Every write needs an `Idempotency-Key` header: the same key and body replays the first
response, the same key with another body is 422, the same key while the first request
still runs is 409. Refusals (4xx) name a stable `code` and a readable `detail`.
"""

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Router, Schema, Status

from regulars.loyalty import baskets, idempotency
from regulars.loyalty.actions import adjust_points
from regulars.loyalty.errors import LoyaltyError, NotFound
from regulars.loyalty.giftcards import normalise_code
from regulars.loyalty.models import Basket, GiftCard
from regulars.loyalty.queries import (
    balances_of,
    customer_by_ref,
    program_for,
    programs_for,
    till_customer,
)
from regulars.loyalty.till import LineInput, Quote, Receipt, complete_sale, quote_basket

router = Router(tags=["loyalty"])

KEY_HEADER = Header(
    ...,
    alias="Idempotency-Key",
    description="Unique per intended write; a retry with the same key and body is safe.",
)


class TillRefusal(Schema):
    code: str
    detail: str


class LineIn(Schema):
    item_number: str
    quantity: int = 1
    unit_price_cents: int | None = Field(None, description="Defaults to the item's price.")
    discount_cents: int = 0
    points_program_id: int | None = Field(None, description="Pay the whole line with points.")


class CustomerRef(Schema):
    customer_id: int | None = None
    customer_external_id: str | None = None


class QuoteIn(CustomerRef):
    channel: str = "pos"
    lines: list[LineIn]


class SaleIn(QuoteIn):
    receipt_id: str = ""
    gift_card_code: str = ""


class LineProgramOut(Schema):
    program_id: int
    program_name: str
    points_earned: int
    point_price: int
    purchasable: bool
    affordable: bool


class QuoteLineOut(Schema):
    line_number: int
    item_number: str
    item_name: str
    quantity: int
    unit_price_cents: int
    discount_cents: int
    amount_cents: int
    points_program_id: int | None
    points_used: int
    points_earned: int
    locked: bool
    programs: list[LineProgramOut]


class ProgramBalanceOut(Schema):
    program_id: int
    program_name: str
    balance: int
    earned: int
    used: int
    balance_after: int


class QuoteOut(Schema):
    customer_id: int | None
    total_cents: int
    lines: list[QuoteLineOut]
    programs: list[ProgramBalanceOut]


class BasketOut(Schema):
    basket_id: int
    status: str
    quote: QuoteOut


class ReceiptOut(Schema):
    receipt_id: str
    sale_id: int
    sold_at: str
    total_cents: int
    gift_card_cents: int
    due_cents: int
    points_earned: int
    points_used: int
    lines: list[QuoteLineOut]
    programs: list[ProgramBalanceOut]


class PointsIn(Schema):
    program_id: int


class CompleteIn(Schema):
    receipt_id: str = ""
    gift_card_code: str = ""


class AdjustmentIn(Schema):
    program_id: int
    customer_id: int
    amount: int
    description: str


class EntryOut(Schema):
    entry_id: int
    program_id: int
    customer_id: int
    amount: int
    kind: str
    description: str
    balance_after: int
    created_at: str


class ProgramOut(Schema):
    id: int
    name: str
    active: bool
    supplier_program: bool


class BalanceOut(Schema):
    program_id: int
    program_name: str
    balance: int


class GiftCardOut(Schema):
    code: str
    value_cents: int
    remaining_cents: int
    expires_at: str


READ_ERRORS = {404: TillRefusal, 422: TillRefusal}
WRITE_ERRORS = {404: TillRefusal, 409: TillRefusal, 422: TillRefusal}


def quote_out(quote: Quote) -> dict:
    return {
        "customer_id": quote.customer.pk if quote.customer else None,
        "total_cents": quote.total_cents,
        "lines": [
            {
                "line_number": line.line_number,
                "item_number": line.item.number,
                "item_name": line.item.name,
                "quantity": line.quantity,
                "unit_price_cents": line.unit_price_cents,
                "discount_cents": line.discount_cents,
                "amount_cents": line.amount_cents,
                "points_program_id": line.points_program_id,
                "points_used": line.points_used,
                "points_earned": line.points_earned,
                "locked": line.points_program_id is not None,
                "programs": [vars(lp) for lp in line.programs],
            }
            for line in quote.lines
        ],
        "programs": [{**vars(p), "balance_after": p.balance_after} for p in quote.programs],
    }


def receipt_out(receipt: Receipt) -> dict:
    quoted = quote_out(receipt.quote)
    return {
        "receipt_id": receipt.sale.receipt_id,
        "sale_id": receipt.sale.pk,
        "sold_at": receipt.sale.sold_at.isoformat(),
        "total_cents": quoted["total_cents"],
        "gift_card_cents": receipt.gift_card_cents,
        "due_cents": receipt.due_cents,
        "points_earned": sum(p.earned for p in receipt.quote.programs),
        "points_used": sum(p.used for p in receipt.quote.programs),
        "lines": quoted["lines"],
        "programs": quoted["programs"],
    }


def refusal(error: LoyaltyError) -> idempotency.Response:
    if isinstance(error, idempotency.KeyInUse):
        status = error.status
    else:
        status = 404 if isinstance(error, NotFound) else 422
    return idempotency.Response(status, {"code": error.code, "detail": error.message})


def answer(response: idempotency.Response) -> HttpResponse:
    """The response as JSON. Its body is built above to the operation's response schema
    (`quote_out`, `receipt_out`, `refusal`) or replayed as it was first sent, so it is not
    validated again: that took about 5 % of a till sale's CPU."""
    return HttpResponse(
        json.dumps(response.body), status=response.status, content_type="application/json"
    )


def read(work: Callable[[], dict], status: int = 200):
    try:
        return Status(status, work())
    except LoyaltyError as error:
        return answer(refusal(error))


def write(request: HttpRequest, key: str, work: Callable[[], dict], status: int = 200):
    """Run a write once per Idempotency-Key (see module docstring)."""
    try:
        response = idempotency.run_once(
            organisation=request.organisation,  # type: ignore[attr-defined]
            key=key,
            fingerprint=idempotency.request_fingerprint(
                request.method or "", request.path, request.body
            ),
            work=lambda: idempotency.Response(status, work()),
            refusal=refusal,
        )
    except LoyaltyError as error:
        return answer(refusal(error))
    return answer(response)


def _customer(request, ref: CustomerRef):
    return till_customer(
        request.organisation, customer_id=ref.customer_id, external_id=ref.customer_external_id
    )


def _lines(lines: list[LineIn]) -> list[LineInput]:
    return [LineInput(**line.dict()) for line in lines]


def _basket(request, basket_id: int) -> Basket:
    basket = Basket.objects.filter(organisation=request.organisation, pk=basket_id).first()
    if basket is None:
        raise NotFound("basket")
    return basket


def basket_out(basket: Basket) -> dict:
    basket.refresh_from_db()
    return {
        "basket_id": basket.pk,
        "status": basket.status,
        "quote": quote_out(baskets.quote_for(basket)),
    }


@router.get("/programs", response=list[ProgramOut], summary="Programs the till can use")
def list_programs(request):
    return [
        {
            "id": p.pk,
            "name": p.name,
            "active": p.active,
            "supplier_program": p.organisation_id != request.organisation.pk,
        }
        for p in programs_for(request.organisation).order_by("pk")
    ]


@router.get(
    "/customers/{customer_id}/balances",
    response={200: list[BalanceOut], **READ_ERRORS},
    summary="A customer's balance in every program",
)
def customer_balances(request, customer_id: int):
    def work():
        customer = customer_by_ref(request.organisation, customer_id=customer_id)
        programs = list(programs_for(request.organisation).order_by("pk"))
        points = balances_of(customer, programs)
        return [
            {"program_id": p.pk, "program_name": p.name, "balance": points[p.pk]} for p in programs
        ]

    return read(work)


@router.post(
    "/quote",
    response={200: QuoteOut, **READ_ERRORS},
    summary="Price a basket in points (writes nothing)",
)
def quote(request, payload: QuoteIn):
    return read(
        lambda: quote_out(
            quote_basket(
                organisation=request.organisation,
                customer=_customer(request, payload),
                lines=_lines(payload.lines),
                channel=payload.channel,
            )
        )
    )


@router.post(
    "/sales",
    response={201: ReceiptOut, **WRITE_ERRORS},
    summary="Complete a sale in one call: lines, points spent and earned, gift card",
)
def create_sale(request, payload: SaleIn, idempotency_key: str = KEY_HEADER):
    def work():
        receipt = complete_sale(
            organisation=request.organisation,
            customer=_customer(request, payload),
            lines=_lines(payload.lines),
            channel=payload.channel,
            receipt_id=payload.receipt_id,
            gift_card_code=payload.gift_card_code,
            savepoint=False,  # a refusal rolls back the whole idempotent write
        )
        return receipt_out(receipt)

    return write(request, idempotency_key, work, status=201)


@router.post(
    "/baskets",
    response={201: BasketOut, **WRITE_ERRORS},
    summary="Open a basket at the till",
)
def open_basket(request, payload: QuoteIn, idempotency_key: str = KEY_HEADER):
    def work():
        basket = baskets.open_basket(
            organisation=request.organisation,
            customer=_customer(request, payload),
            channel=payload.channel,
        )
        for line in payload.lines:
            baskets.add_basket_line(
                basket=basket,
                item_number=line.item_number,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                discount_cents=line.discount_cents,
            )
            if line.points_program_id is not None:
                baskets.apply_points(
                    basket=basket,
                    line_number=basket.lines.count(),
                    program_id=line.points_program_id,
                )
        return basket_out(basket)

    return write(request, idempotency_key, work, status=201)


@router.get("/baskets/{basket_id}", response={200: BasketOut, **READ_ERRORS}, summary="A basket")
def get_basket(request, basket_id: int):
    return read(lambda: basket_out(_basket(request, basket_id)))


@router.put(
    "/baskets/{basket_id}/customer",
    response={200: BasketOut, **WRITE_ERRORS},
    summary="Choose the basket's customer",
)
def set_customer(request, basket_id: int, payload: CustomerRef, idempotency_key: str = KEY_HEADER):
    def work():
        basket = _basket(request, basket_id)
        baskets.set_basket_customer(basket=basket, customer=_customer(request, payload))
        return basket_out(basket)

    return write(request, idempotency_key, work)


@router.post(
    "/baskets/{basket_id}/lines",
    response={201: BasketOut, **WRITE_ERRORS},
    summary="Scan an item",
)
def add_line(request, basket_id: int, payload: LineIn, idempotency_key: str = KEY_HEADER):
    def work():
        basket = _basket(request, basket_id)
        line = baskets.add_basket_line(
            basket=basket,
            item_number=payload.item_number,
            quantity=payload.quantity,
            unit_price_cents=payload.unit_price_cents,
            discount_cents=payload.discount_cents,
        )
        if payload.points_program_id is not None:
            baskets.apply_points(
                basket=basket, line_number=line.line_number, program_id=payload.points_program_id
            )
        return basket_out(basket)

    return write(request, idempotency_key, work, status=201)


@router.delete(
    "/baskets/{basket_id}/lines/{line_number}",
    response={200: BasketOut, **WRITE_ERRORS},
    summary="Remove a line",
)
def remove_line(request, basket_id: int, line_number: int, idempotency_key: str = KEY_HEADER):
    def work():
        basket = _basket(request, basket_id)
        baskets.remove_basket_line(basket=basket, line_number=line_number)
        return basket_out(basket)

    return write(request, idempotency_key, work)


@router.put(
    "/baskets/{basket_id}/lines/{line_number}/points",
    response={200: BasketOut, **WRITE_ERRORS},
    summary="Pay a whole line with points (locked at 100 % discount)",
)
def apply_points(
    request, basket_id: int, line_number: int, payload: PointsIn, idempotency_key: str = KEY_HEADER
):
    def work():
        basket = _basket(request, basket_id)
        baskets.apply_points(basket=basket, line_number=line_number, program_id=payload.program_id)
        return basket_out(basket)

    return write(request, idempotency_key, work)


@router.delete(
    "/baskets/{basket_id}/lines/{line_number}/points",
    response={200: BasketOut, **WRITE_ERRORS},
    summary="Cancel paying a line with points",
)
def cancel_points(request, basket_id: int, line_number: int, idempotency_key: str = KEY_HEADER):
    def work():
        basket = _basket(request, basket_id)
        baskets.cancel_points(basket=basket, line_number=line_number)
        return basket_out(basket)

    return write(request, idempotency_key, work)


@router.post(
    "/baskets/{basket_id}/complete",
    response={201: ReceiptOut, **WRITE_ERRORS},
    summary="Complete the sale: the receipt shows points earned, used and the new balance",
)
def complete(request, basket_id: int, payload: CompleteIn, idempotency_key: str = KEY_HEADER):
    def work():
        receipt = baskets.complete_basket(
            basket=_basket(request, basket_id),
            receipt_id=payload.receipt_id,
            gift_card_code=payload.gift_card_code,
        )
        return receipt_out(receipt)

    return write(request, idempotency_key, work, status=201)


@router.post(
    "/adjustments",
    response={201: EntryOut, **WRITE_ERRORS},
    summary="Add or subtract points by hand, with a description shown to the customer",
)
def adjust(request, payload: AdjustmentIn, idempotency_key: str = KEY_HEADER):
    def work():
        entry = adjust_points(
            program=program_for(request.organisation, payload.program_id),
            customer=customer_by_ref(request.organisation, customer_id=payload.customer_id),
            amount=payload.amount,
            description=payload.description,
        )
        return {
            "entry_id": entry.pk,
            "program_id": entry.program_id,
            "customer_id": entry.customer_id,
            "amount": entry.amount,
            "kind": entry.kind,
            "description": entry.description,
            "balance_after": entry.balance_after,
            "created_at": entry.created_at.isoformat(),
        }

    return write(request, idempotency_key, work, status=201)


@router.get(
    "/gift-cards/{code}",
    response={200: GiftCardOut, **READ_ERRORS},
    summary="A gift card's remaining value",
)
def gift_card(request, code: str):
    def work():
        card = GiftCard.objects.filter(
            organisation=request.organisation, code=normalise_code(code)
        ).first()
        if card is None:
            raise NotFound("gift card")
        return {
            "code": card.code,
            "value_cents": card.value_cents,
            "remaining_cents": card.remaining_cents,
            "expires_at": card.expires_at.isoformat(),
        }

    return read(work)
