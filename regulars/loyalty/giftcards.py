"""Gift cards bought for points (LOY-10) and paid with at the till."""

import datetime
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.commerce.models import Sale, cents_to_decimal
from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from .errors import LoyaltyError, NotFound
from .ledger import append_entry, lock_balance
from .models import EntryKind, GiftCard, GiftCardProduct, GiftCardUse
from .notifications import send_message
from .queries import local_date, programs_for, redeems_on

# No 0/O/1/I: codes are read aloud and typed at the till. 16 symbols of 32 = 80 bits.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(symbols[i : i + 4] for i in range(0, 16, 4))


def normalise_code(code: str) -> str:
    compact = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def products_for(organisation: Organisation):
    return GiftCardProduct.objects.filter(
        program__in=programs_for(organisation), program__active=True, active=True
    ).select_related("program")


@transaction.atomic
def buy_gift_card(
    *, customer: Customer, product: GiftCardProduct, at: datetime.datetime | None = None
) -> GiftCard:
    """Spend the product's point price and issue a card with a fresh code, e-mailed."""
    at = at or timezone.now()
    organisation = customer.organisation
    if not products_for(organisation).filter(pk=product.pk).exists():
        raise NotFound("gift card")
    if not redeems_on(product.program, local_date(organisation, at)):
        raise LoyaltyError("outside_redemption_period", _("outside the redemption period"))
    balance = lock_balance(product.program, customer)
    card = GiftCard.objects.create(
        organisation=organisation,
        product=product,
        customer=customer,
        code=new_code(),
        value_cents=product.value_cents,
        remaining_cents=product.value_cents,
        expires_at=at + datetime.timedelta(days=product.valid_days),
        created_at=at,
    )
    append_entry(
        balance=balance,
        amount=-product.point_price,
        kind=EntryKind.REDEEM,
        gift_card=card,
        description=product.name,
        at=at,
    )
    transaction.on_commit(lambda: _email_code(card))
    return card


def _email_code(card: GiftCard) -> None:
    value = f"{cents_to_decimal(card.value_cents)} {card.organisation.currency}"
    body = _("Your gift card of %(value)s: %(code)s\nValid until %(date)s.") % {
        "value": value,
        "code": card.code,
        "date": card.expires_at.astimezone(card.organisation.tz).date().isoformat(),
    }
    send_message(
        customer=card.customer,
        key=f"loyalty:gift-card:{card.pk}",
        subject=_("Your gift card from %(name)s") % {"name": card.organisation.name},
        body_text=body,
        requires_consent=False,  # the customer asked for this card; it is not marketing
    )


def pay_with_gift_card(
    *, organisation: Organisation, code: str, sale: Sale, due_cents: int, at: datetime.datetime
) -> int:
    """Take up to `due_cents` from the card's remaining value; returns what it paid."""
    card = (
        GiftCard.objects.select_for_update()
        .filter(organisation=organisation, code=normalise_code(code))
        .first()
    )
    if card is None:
        raise LoyaltyError("unknown_gift_card", _("unknown gift card code"))
    if card.expires_at <= at:
        raise LoyaltyError("gift_card_expired", _("the gift card has expired"))
    if card.remaining_cents <= 0:
        raise LoyaltyError("gift_card_used", _("the gift card has been used up"))
    paid = min(card.remaining_cents, due_cents)
    if paid > 0:
        GiftCard.objects.filter(pk=card.pk).update(remaining_cents=card.remaining_cents - paid)
        GiftCardUse.objects.create(gift_card=card, sale=sale, amount_cents=paid, used_at=at)
    return paid
