"""Gift cards bought for points and paid with at the till (LOY-10), adjustments (LOY-11/13),
points deleted on unsubscribe (LOY-2) and supplier programs (LOY-12)."""

import datetime

import pytest
from django.utils import timezone
from loyalty_world import build

from regulars.commerce.models import Item, Sale
from regulars.loyalty.actions import (
    adjust_points,
    create_gift_card_product,
    create_program,
    forfeit_points_for_unsubscribe,
    set_item_rule,
    set_program_use,
    update_notification_templates,
    update_program,
)
from regulars.loyalty.errors import LoyaltyError, NotFound
from regulars.loyalty.giftcards import buy_gift_card
from regulars.loyalty.models import Balance, EntryKind, GiftCard, LedgerEntry, LoyaltySettings
from regulars.loyalty.queries import active_programs, dealer_totals, programs_for
from regulars.loyalty.till import LineInput, complete_sale
from regulars.messaging.models import Message
from regulars.orgs.actions import create_organisation


@pytest.fixture
def world(org, other_org):
    build(other_org, prefix="o-")
    return build(org)


def test_buy_gift_card_for_points_and_pay_with_it(world):
    product = create_gift_card_product(
        program=world.program, name="Gift card 200 kr", value_cents=20000, point_price=150
    )
    with pytest.raises(LoyaltyError) as refused:
        buy_gift_card(customer=world.anna, product=product)
    assert refused.value.code == "insufficient_points"
    assert GiftCard.objects.count() == 0
    adjust_points(program=world.program, customer=world.anna, amount=160, description="Gift")
    card = buy_gift_card(customer=world.anna, product=product)
    assert len(card.code) == 19 and card.remaining_cents == 20000
    assert Balance.objects.get(customer=world.anna).points == 10

    receipt = complete_sale(
        organisation=world.org,
        customer=world.ben,
        lines=[LineInput("200")],
        gift_card_code=card.code.lower().replace("-", ""),
    )
    assert (receipt.gift_card_cents, receipt.due_cents) == (12000, 0)
    complete_sale(
        organisation=world.org,
        customer=world.ben,
        lines=[LineInput("100")],
        gift_card_code=card.code,
    )
    card.refresh_from_db()
    assert card.remaining_cents == 0
    with pytest.raises(LoyaltyError) as used:
        complete_sale(
            organisation=world.org,
            customer=world.ben,
            lines=[LineInput("300")],
            gift_card_code=card.code,
        )
    assert used.value.code == "gift_card_used"
    GiftCard.objects.filter(pk=card.pk).update(
        remaining_cents=5, expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    with pytest.raises(LoyaltyError) as expired:
        complete_sale(
            organisation=world.org,
            customer=world.ben,
            lines=[LineInput("300")],
            gift_card_code=card.code,
        )
    assert expired.value.code == "gift_card_expired"
    assert Sale.objects.filter(organisation=world.org).count() == 2


def test_gift_card_of_one_organisation_is_unknown_to_another(world, other_org):
    product = create_gift_card_product(
        program=world.program, name="Card", value_cents=1000, point_price=10
    )
    adjust_points(program=world.program, customer=world.anna, amount=10, description="Gift")
    card = buy_gift_card(customer=world.anna, product=product)
    stranger = other_org.customer_set.get(external_id="o-anna")
    with pytest.raises(LoyaltyError) as refused:
        complete_sale(
            organisation=other_org,
            customer=stranger,
            lines=[LineInput("300")],
            gift_card_code=card.code,
        )
    assert refused.value.code == "unknown_gift_card"


def test_adjustment_notifies_with_template_and_needs_description(
    world, django_capture_on_commit_callbacks
):
    with pytest.raises(LoyaltyError):
        adjust_points(program=world.program, customer=world.anna, amount=5, description="")
    with pytest.raises(LoyaltyError):
        adjust_points(program=world.program, customer=world.anna, amount=-5, description="Oops")
    update_notification_templates(
        organisation=world.org,
        manual_subject="{{ points }} point til dig",
        manual_body="Hej {{ customer.first_name }}: {{ description }}. Saldo {{ balance }}.",
    )
    world.ben.email_consent = False
    world.ben.save()
    with django_capture_on_commit_callbacks(execute=True):
        entry = adjust_points(
            program=world.program, customer=world.anna, amount=40, description="Birthday"
        )
        adjust_points(program=world.program, customer=world.ben, amount=5, description="Hi")
    assert (entry.kind, entry.balance_after) == (EntryKind.ADJUST, 40)
    sent = Message.objects.get(key=f"loyalty:entry:{entry.pk}")
    assert (sent.subject, sent.body_text) == ("40 point til dig", "Hej Anna: Birthday. Saldo 40.")
    assert sent.customer == world.anna
    ben = Message.objects.filter(customer=world.ben).exclude(status="skipped").count()
    assert ben == 0


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        ("da", "Din pointsaldo er ændret", "i Salon points er ændret med 40 point: Fødselsdag."),
        ("nb", "Poengsaldoen din er endret", "i Salon points er endret med 40 poeng"),
        ("en", "Your points balance was changed", "Salon points balance was changed by 40 points"),
    ],
    ids=["da", "nb", "en"],
)
def test_default_notification_is_in_the_organisations_language(
    world, other_org, django_capture_on_commit_callbacks, language, subject, body
):
    world.org.language = language
    world.org.save()
    other_org.language = "en" if language != "en" else "da"
    other_org.save()
    with django_capture_on_commit_callbacks(execute=True):
        entry = adjust_points(
            program=world.program, customer=world.anna, amount=40, description="Fødselsdag"
        )
    sent = Message.objects.get(key=f"loyalty:entry:{entry.pk}")
    assert sent.subject == subject
    assert body in sent.body_text and "Anna" in sent.body_text
    assert Message.objects.filter(organisation=other_org).count() == 0


def test_notification_texts_see_only_the_listed_values(world, django_capture_on_commit_callbacks):
    update_notification_templates(
        organisation=world.org,
        manual_subject="Points",
        manual_body=(
            "{{ customer.first_name }}|{{ customer.email }}|{{ program.organisation.name }}|"
            "{{ customer.organisation.membership_set.all }}|{{ points }}"
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        entry = adjust_points(program=world.program, customer=world.anna, amount=7, description="x")
    sent = Message.objects.get(key=f"loyalty:entry:{entry.pk}")
    assert sent.body_text == "Anna||||7"


@pytest.mark.parametrize(
    "text",
    [
        "{% if %}x{% endif %}",
        "{{ points|nosuch }}",
        "{% load humanize %}",
        "{% include 'web/base.html' %}",
        "{% url 'nowhere' %}",
        "{{ points|divisibleby:0 }}",
    ],
    ids=["bad tag", "unknown filter", "tag library", "other template", "url", "division"],
)
def test_a_notification_text_that_cannot_render_is_refused(world, text):
    before = update_notification_templates(organisation=world.org).manual_body
    with pytest.raises(LoyaltyError) as refused:
        update_notification_templates(organisation=world.org, manual_body=text)
    assert refused.value.code == "bad_template"
    assert update_notification_templates(organisation=world.org).manual_body == before


def test_a_stored_text_that_does_not_render_sends_the_default(
    world, django_capture_on_commit_callbacks
):
    found = update_notification_templates(organisation=world.org)
    LoyaltySettings.objects.filter(pk=found.pk).update(manual_body="{% load humanize %}")
    with django_capture_on_commit_callbacks(execute=True):
        entry = adjust_points(program=world.program, customer=world.anna, amount=3, description="x")
    sent = Message.objects.get(key=f"loyalty:entry:{entry.pk}")
    assert sent.body_text.startswith("Kære Anna")
    assert "Din saldo er nu 3 point." in sent.body_text


def test_unsubscribe_forfeits_only_where_the_program_says_so(world):
    adjust_points(program=world.program, customer=world.anna, amount=40, description="Hi")
    assert forfeit_points_for_unsubscribe(customer=world.anna) == []
    update_program(
        program=world.program,
        forfeit_on_unsubscribe=True,
        unsubscribe_warning="You will lose your points",
    )
    [entry] = forfeit_points_for_unsubscribe(customer=world.anna)
    assert (entry.kind, entry.amount, entry.balance_after) == (EntryKind.FORFEIT, -40, 0)
    assert forfeit_points_for_unsubscribe(customer=world.anna) == []


def test_program_is_created_inactive_and_never_deleted(world):
    program = create_program(organisation=world.org, name="Summer")
    assert program.active is False
    with pytest.raises(PermissionError):
        program.delete()


def test_supplier_program_used_by_dealers(db):
    supplier = create_organisation(slug="brand", name="Brand")
    supplier.is_supplier = True
    supplier.save()
    dealers = []
    for slug in ("north", "south"):
        dealer = create_organisation(slug=slug, name=slug.title())
        dealer.supplier = supplier
        dealer.save()
        dealers.append(build(dealer, prefix=f"{slug}-"))
    stranger = create_organisation(slug="stranger", name="Stranger")
    program = create_program(organisation=supplier, name="Brand club")
    update_program(program=program, active=True)
    wax = Item.objects.create(organisation=supplier, number="100", name="Brand wax")
    set_item_rule(
        program=program, item=wax, points_earned=3, point_price=30, purchasable_for_points=True
    )
    with pytest.raises(NotFound):
        set_program_use(program=program, dealer=stranger, use=True)

    north, south = dealers
    before = complete_sale(organisation=north.org, customer=north.anna, lines=[LineInput("100")])
    assert [p.program_name for p in before.quote.programs] == ["north-Salon points"]
    set_program_use(program=program, dealer=north.org, use=True)
    for dealer in dealers:  # the till's hand-written query picks what programs_for does
        expected = programs_for(dealer.org).filter(active=True).order_by("pk")
        assert active_programs(dealer.org) == list(expected)
    for _ in range(10):
        complete_sale(organisation=north.org, customer=north.anna, lines=[LineInput("100")])
    receipt = complete_sale(
        organisation=north.org,
        customer=north.anna,
        lines=[LineInput("100", points_program_id=program.pk)],
    )
    assert receipt.quote.programs[1].used == 30
    with pytest.raises(LoyaltyError):
        complete_sale(
            organisation=south.org,
            customer=south.anna,
            lines=[LineInput("100", points_program_id=program.pk)],
        )
    assert dealer_totals(supplier, program) == [{"dealer": "North", "earned": 30, "spent": 30}]
    assert LedgerEntry.objects.filter(program=program, organisation=south.org).count() == 0
