"""What a newcomer finds ready in the demo organisation, so segments, sending and the till
can be tried at once: saved segments, a draft birthday campaign, and an active point
program over the salon's items with a few regulars already holding points.

Made once, through the same actions staff use, in the salon's own language (Danish, as the
generated catalogue); what staff change afterwards is kept.
"""

from django.db import transaction

from regulars.commerce.models import Item
from regulars.customers.models import Customer
from regulars.loyalty.actions import (
    adjust_points,
    create_gift_card_product,
    create_program,
    set_item_rule,
    update_program,
)
from regulars.loyalty.models import Program
from regulars.messaging.campaigns import create_campaign
from regulars.orgs.models import Organisation
from regulars.segments.actions import create_segment

from .catalogue import PRODUCT_ITEMS, SERVICE_ITEMS

BIRTHDAYS = {
    "match": "all",
    "criteria": [
        {"type": "birthday", "from": 0, "to": 14, "unit": "days"},
        {"type": "consent", "channel": "email"},
    ],
}
# (name, description, rules)
SEGMENTS = (
    (
        "Farvekunder sidste halvår",
        "Har købt farve inden for de sidste 180 dage.",
        {
            "match": "all",
            "criteria": [
                {"type": "bought_item_group", "groups": ["Farve"], "period": {"last_days": 180}}
            ],
        },
    ),
    (
        "Ikke set i et år",
        "Intet køb inden for de sidste 365 dage: tid til en hilsen.",
        {
            "match": "all",
            "criteria": [{"type": "last_purchase", "mode": "not_within", "days": 365}],
        },
    ),
    ("Fødselsdag de næste 14 dage", "Med samtykke til e-mail.", BIRTHDAYS),
    (
        "Teatergængere, der ikke bliver klippet her",
        "Har købt billetter, men aldrig en klipning i salonen.",
        {
            "match": "all",
            "criteria": [
                {"type": "event_count", "op": "gte", "value": 1},
                {"type": "bought_item_group", "groups": ["Klip"], "opposite": True},
            ],
        },
    ),
    (
        "Stamkunder på SMS",
        "Stamkunder med samtykke til SMS.",
        {
            "match": "all",
            "criteria": [
                {"type": "customer_group", "groups": ["Stamkunde"]},
                {"type": "consent", "channel": "sms"},
            ],
        },
    ),
)
BIRTHDAY_CAMPAIGN = {
    "description": "Fødselsdagshilsen",
    "dispatch": "email",
    "subject": "Tillykke med fødselsdagen",
    "body": (
        "<p>Kære #FirstName#</p>"
        "<p>Tillykke med fødselsdagen! Vis denne mail i salonen inden for en måned, så får"
        " du en hårkur med i købet.</p>"
        "<p>Du har #PointsBalance# point hos os.</p>"
        "<p>Mange hilsner<br>#OrganisationName#</p>"
    ),
    "rules": BIRTHDAYS,
}
PROGRAM_NAME = "Salon & Scene Point"
# Cuts: 10 points each and 100 points buys one, so the 11th cut is free (seed 001's
# "buy 10, get the 11th free"). Other services and products: a point per 10 kr; products
# may be bought for a point per krone. Gift vouchers are money: no points either way.
CUT_POINTS, CUT_PRICE = 10, 100
GIFT_VOUCHERS = ("2201", "2202")
WELCOME_POINTS = 150
WELCOMED = 20


@transaction.atomic
def ensure_demo_examples(organisation: Organisation) -> bool:
    """Make the examples unless the organisation has a point program already (programs are
    never deleted, so this makes them once). Returns whether they were made now."""
    if Program.objects.filter(organisation=organisation).exists():
        return False
    for name, description, rules in SEGMENTS:
        create_segment(organisation=organisation, name=name, description=description, rules=rules)
    create_campaign(organisation=organisation, **BIRTHDAY_CAMPAIGN)
    program = _point_program(organisation)
    for customer in _regulars(organisation):
        adjust_points(
            program=program,
            customer=customer,
            amount=WELCOME_POINTS,
            description="Velkomstpoint til vores stamkunder",
        )
    return True


def _point_program(organisation: Organisation) -> Program:
    program = create_program(organisation=organisation, name=PROGRAM_NAME)
    items = {i.number: i for i in Item.objects.filter(organisation=organisation)}
    for number, _name, group, price, _minutes in SERVICE_ITEMS:
        cut = group == "Klip"
        set_item_rule(
            program=program,
            item=items[number],
            points_earned=CUT_POINTS if cut else price // 1000,
            point_price=CUT_PRICE if cut else 0,
            purchasable_for_points=cut,
        )
    for number, _name, _group, price, _minutes in PRODUCT_ITEMS:
        if number not in GIFT_VOUCHERS:
            set_item_rule(
                program=program,
                item=items[number],
                points_earned=price // 1000,
                point_price=price // 100,
                purchasable_for_points=True,
            )
    create_gift_card_product(
        program=program, name="Gavekort 100 kr", value_cents=10000, point_price=100
    )
    return update_program(program=program, active=True, earn_on_adhoc=True)


def _regulars(organisation: Organisation):
    """The first regulars (customer group "Stamkunde") by id, who get welcome points."""
    customers = Customer.objects.filter(
        organisation=organisation, groups__name="Stamkunde", erased_at__isnull=True
    )
    return customers.order_by("id")[:WELCOMED]
