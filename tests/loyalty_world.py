"""Shared set-up for the loyalty tests: a salon with items, a program and customers."""

import datetime
from types import SimpleNamespace

from django.utils import timezone

from regulars.commerce.models import Item
from regulars.customers.models import Customer
from regulars.loyalty.actions import create_program, set_item_rule, update_program


def customer(org, external_id, **fields):
    fields.setdefault("first_name", external_id.title())
    fields.setdefault("email", f"{external_id}@example.com")
    fields.setdefault("email_consent", True)
    return Customer.objects.create(
        organisation=org, external_id=external_id, created_at=timezone.now(), **fields
    )


def build(org, *, prefix=""):
    """Items 100 (haircut: earn 10, costs 100 — the 11th is free), 200 (shampoo: earn 5),
    300 (gift wrap: no points); one active program; customers anna and ben."""
    haircut = Item.objects.create(organisation=org, number="100", name="Haircut", price_cents=45000)
    shampoo = Item.objects.create(organisation=org, number="200", name="Shampoo", price_cents=12000)
    wrap = Item.objects.create(organisation=org, number="300", name="Gift wrap", price_cents=1000)
    program = create_program(organisation=org, name=f"{prefix}Salon points")
    update_program(program=program, active=True)
    set_item_rule(
        program=program,
        item=haircut,
        points_earned=10,
        point_price=100,
        purchasable_for_points=True,
    )
    set_item_rule(
        program=program, item=shampoo, points_earned=5, point_price=0, purchasable_for_points=False
    )
    return SimpleNamespace(
        org=org,
        program=program,
        haircut=haircut,
        shampoo=shampoo,
        wrap=wrap,
        anna=customer(org, f"{prefix}anna"),
        ben=customer(org, f"{prefix}ben"),
    )


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)
