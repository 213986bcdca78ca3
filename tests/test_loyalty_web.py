"""Loyalty back-office pages (till, programs, reports) and the customer page (PORTAL-1)."""

import datetime

import pytest
from conftest import PASSWORD
from django.test import Client
from django.urls import reverse
from loyalty_world import build, customer

from regulars.customers.links import customer_page_token
from regulars.loyalty.actions import adjust_points, create_gift_card_product, update_program
from regulars.loyalty.giftcards import buy_gift_card
from regulars.loyalty.models import Balance, Basket, GiftCard, LedgerEntry, Program
from regulars.loyalty.till import LineInput, complete_sale


@pytest.fixture
def world(org, other_org):
    build(other_org, prefix="o-")
    return build(org)


def login(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_till_finds_customers_as_the_customer_search_does(world, other_org, carol):
    jensen = customer(world.org, "aj", first_name="Anna", last_name="Jensen", mobile="+4520304050")
    customer(other_org, "aj", first_name="Anna", last_name="Jensen", mobile="+4520304050")
    client = login(carol)
    basket = client.post(reverse("web:loyalty")).url

    def found(q):
        page = client.get(basket, {"q": q}).content.decode()
        return page.count('name="customer"'), f'value="{jensen.pk}"' in page

    assert found("anna jens") == (1, True)
    assert found("Jensen") == (1, True)
    assert found("20 30 40 50") == (1, True)
    assert found("aj@example.com") == (1, True)
    assert found("ann") == (2, True)  # Anna Jensen and the world's Anna
    assert found("nielsen") == (0, False)


def test_till_page_rings_up_a_sale_with_points(world, carol):
    adjust_points(program=world.program, customer=world.anna, amount=100, description="Start")
    update_program(
        program=world.program,
        newsletter_required=True,
        show_signed_up_icon=True,
        signed_up_icon="heart",
    )
    client = login(carol)
    response = client.post(reverse("web:loyalty"))
    basket = Basket.objects.get()
    assert response.url == reverse("web:loyalty_basket", args=[basket.pk])
    found = client.get(response.url, {"q": "anna"})
    assert b"Choose" in found.content
    client.post(
        reverse("web:loyalty_customer_choose", args=[basket.pk]), {"customer": world.anna.pk}
    )
    client.post(
        reverse("web:loyalty_scan", args=[basket.pk]), {"item_number": "100", "quantity": "1"}
    )
    client.post(
        reverse("web:loyalty_scan", args=[basket.pk]), {"item_number": "200", "quantity": "2"}
    )
    page = client.get(reverse("web:loyalty_basket", args=[basket.pk])).content.decode()
    assert "Use points" in page
    assert '<span class="newsletter-icon" title="Salon points">♥</span>' in page
    client.post(
        reverse("web:loyalty_use_points", args=[basket.pk, 1]), {"program": world.program.pk}
    )
    done = client.post(reverse("web:loyalty_complete", args=[basket.pk]))
    receipt = client.get(done.url).content.decode()
    assert "points earned 10, points used 100, new balance 10" in receipt
    assert Balance.objects.get(customer=world.anna).points == 10


def test_bad_scan_shows_reason_and_writes_nothing(world, carol, victor):
    client = login(carol)
    client.post(reverse("web:loyalty"))
    basket = Basket.objects.get()
    page = client.post(
        reverse("web:loyalty_scan", args=[basket.pk]),
        {"item_number": "999", "quantity": "1"},
        follow=True,
    )
    assert "unknown item number" in page.content.decode()
    for quantity in ("abc", "-1", "0", "10000", "99999999999999999999"):
        page = client.post(
            reverse("web:loyalty_scan", args=[basket.pk]),
            {"item_number": "100", "quantity": quantity},
            follow=True,
        )
        assert "quantity must be from 1 to 9999" in page.content.decode(), quantity
    client.post(reverse("web:loyalty_scan", args=[basket.pk]), {"item_number": "100"})
    assert list(basket.lines.values_list("quantity", flat=True)) == [1]
    chosen = client.post(
        reverse("web:loyalty_customer_choose", args=[basket.pk]), {"customer": "9" * 20}
    )
    assert chosen.status_code == 302 and Basket.objects.get().customer is None
    assert login(victor).post(reverse("web:loyalty")).status_code == 403


def test_programs_reports_and_exports(world, alice, bob):
    client = login(alice)
    client.post(reverse("web:loyalty_programs"), {"name": "Summer"})
    summer = Program.objects.get(name="Summer")
    assert summer.active is False
    client.post(reverse("web:loyalty_programs"), {"active": [world.program.pk, summer.pk]})
    summer.refresh_from_db()
    assert summer.active is True
    client.post(
        reverse("web:loyalty_item_rule", args=[summer.pk]),
        {
            "rule-item_number": "300",
            "rule-points_earned": "2",
            "rule-point_price": "20",
            "rule-purchasable_for_points": "on",
        },
    )
    assert summer.item_rules.get().point_price == 20
    client.post(
        reverse("web:loyalty_entries"),
        {
            "customer": "anna@example.com",
            "program": world.program.pk,
            "amount": "15",
            "description": "Sorry for the wait",
        },
    )
    assert LedgerEntry.objects.get(customer=world.anna).description == "Sorry for the wait"
    csv = client.get(reverse("web:loyalty_entries"), {"format": "csv"})
    assert csv.content.decode().count("Sorry for the wait") == 1
    xlsx = client.get(reverse("web:loyalty_entries"), {"format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    assert client.get(reverse("web:loyalty_redeemed", args=[world.program.pk])).status_code == 200
    history = client.get(reverse("web:loyalty_customer", args=[world.anna.pk]))
    assert b"Sorry for the wait" in history.content
    profile = client.get(reverse("web:customer", args=[world.anna.pk])).content.decode()
    assert "Sorry for the wait" in profile and "Full history" in profile
    other = login(bob)
    assert other.get(reverse("web:loyalty_program", args=[world.program.pk])).status_code == 404
    assert b"Sorry" not in other.get(reverse("web:loyalty_entries"), {"format": "csv"}).content
    assert other.get(reverse("web:loyalty_customer", args=[world.anna.pk])).status_code == 404


def test_customer_page_points_gift_cards_and_unsubscribe(world):
    update_program(
        program=world.program,
        forfeit_on_unsubscribe=True,
        unsubscribe_warning="Afmelder du dig, mister du dine point.",
    )
    product = create_gift_card_product(
        program=world.program, name="Gavekort 100 kr", value_cents=10000, point_price=50
    )
    adjust_points(program=world.program, customer=world.anna, amount=80, description="Velkommen")
    world.anna.language = "da"
    world.anna.save()
    url = reverse("web:portal", args=[customer_page_token(world.anna.pk)])
    page = Client().get(url).content.decode()
    assert "80" in page and "Velkommen" in page and "mister du dine point" in page
    assert "Dine point" in page and "Vælg efter point" in page
    Client().post(reverse("web:portal_buy", args=[customer_page_token(world.anna.pk), product.pk]))
    card = GiftCard.objects.get(customer=world.anna)
    assert card.code in Client().get(url).content.decode()
    Client().post(reverse("web:portal_unsubscribe", args=[customer_page_token(world.anna.pk)]))
    world.anna.refresh_from_db()
    assert (world.anna.email_consent, Balance.objects.get(customer=world.anna).points) == (False, 0)
    assert Client().get("/me/forged-token/").status_code == 404
    update_program(program=world.program, customer_can_see_balance=False)
    assert "Velkommen" not in Client().get(url).content.decode()


def test_till_page_takes_a_gift_card(world, carol):
    product = create_gift_card_product(
        program=world.program, name="Card", value_cents=20000, point_price=10
    )
    adjust_points(program=world.program, customer=world.ben, amount=10, description="Start")
    card = buy_gift_card(customer=world.ben, product=product)
    client = login(carol)
    client.post(reverse("web:loyalty"))
    basket = Basket.objects.get()
    client.post(
        reverse("web:loyalty_customer_choose", args=[basket.pk]), {"customer": world.ben.pk}
    )
    client.post(
        reverse("web:loyalty_scan", args=[basket.pk]), {"item_number": "100", "quantity": "1"}
    )
    done = client.post(
        reverse("web:loyalty_complete", args=[basket.pk]), {"gift_card_code": card.code}
    )
    receipt = client.get(done.url).content.decode()
    assert "Paid with gift card" in receipt and '<th id="due">250.00</th>' in receipt
    card.refresh_from_db()
    assert card.remaining_cents == 0


def test_gift_card_product_is_edited_with_validation(world, mia, bob):
    product = create_gift_card_product(
        program=world.program, name="Gavekort 100 kr", value_cents=10000, point_price=50
    )
    adjust_points(program=world.program, customer=world.anna, amount=80, description="Start")
    bought = buy_gift_card(customer=world.anna, product=product)
    url = reverse("web:loyalty_gift_product_edit", args=[world.program.pk, product.pk])
    client = login(mia)
    form = client.get(url).content.decode()
    assert 'value="Gavekort 100 kr"' in form and 'value="100.00"' in form
    fields = {"name": "Gavekort 200 kr", "value": "200.00", "point_price": "90"}
    refused = client.post(url, {**fields, "point_price": "0", "valid_days": "365"})
    assert "Check the gift card." in refused.content.decode()
    blank = client.post(url, {**fields, "name": "  ", "valid_days": "365"})
    assert "Check the gift card." in blank.content.decode()
    for field, huge in (
        ("value", "1" + "0" * 19),
        ("point_price", "2147483648"),
        ("valid_days", "3661"),
    ):
        too_big = client.post(url, {**fields, "valid_days": "365", field: huge})
        assert too_big.status_code == 200 and "must be positive" in too_big.content.decode()
    product.refresh_from_db()
    assert (product.name, product.value_cents, product.point_price) == (
        "Gavekort 100 kr",
        10000,
        50,
    )
    saved = client.post(url, {**fields, "valid_days": "30", "active": "on"})
    assert saved.url == reverse("web:loyalty_program", args=[world.program.pk])
    product.refresh_from_db()
    assert (product.name, product.value_cents, product.point_price, product.valid_days) == (
        "Gavekort 200 kr",
        20000,
        90,
        30,
    )
    assert product.active is True
    bought.refresh_from_db()
    assert (bought.value_cents, bought.remaining_cents) == (10000, 10000)
    client.post(url, {**fields, "valid_days": "30"})
    product.refresh_from_db()
    assert product.active is False
    program_page = client.get(reverse("web:loyalty_program", args=[world.program.pk]))
    assert "Gavekort 200 kr: 200.00 = 90 points (inactive)" in program_page.content.decode()
    portal = Client().get(reverse("web:portal", args=[customer_page_token(world.anna.pk)]))
    assert "Gavekort 200 kr" not in portal.content.decode()
    assert login(bob).get(url).status_code == 404
    other_program = Program.objects.get(organisation=bob.memberships.get().organisation)
    foreign = reverse("web:loyalty_gift_product_edit", args=[other_program.pk, product.pk])
    assert login(bob).post(foreign, {**fields, "valid_days": "1"}).status_code == 404
    product.refresh_from_db()
    assert product.valid_days == 30


def test_notifications_page_refuses_a_broken_text(world, mia):
    client = login(mia)
    url = reverse("web:loyalty_templates")
    form = {
        "credit_subject": "{{ points }} points",
        "credit_body": "Hi {{ customer.first_name }}",
        "manual_subject": "Changed",
        "manual_body": "{% if %}",
    }
    page = client.post(url, form).content.decode()
    assert "The text cannot be used" in page
    assert client.get(url).content.decode().count("{% if %}") == 0
    form["manual_body"] = "Hi {{ customer.first_name }}, now {{ balance }}"
    assert client.post(url, form).status_code == 302


def test_customer_page_greets_and_dates_in_the_organisations_terms(world):
    # 23:30 UTC on 6 December is 00:30 on 7 December in Copenhagen.
    at = datetime.datetime(2026, 12, 6, 23, 30, tzinfo=datetime.UTC)
    complete_sale(organisation=world.org, customer=world.anna, lines=[LineInput("100")], at=at)
    page = Client().get(reverse("web:portal", args=[customer_page_token(world.anna.pk)]))
    text = page.content.decode()
    assert "Hej Anna" in text
    assert "07.12.2026" in text and "06.12.2026" not in text
