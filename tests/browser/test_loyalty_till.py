"""The till page in a real browser: customer, scan, use points, complete, receipt (LOY-5/6)."""

import pytest
from playwright.sync_api import expect

from regulars.loyalty.actions import adjust_points
from regulars.loyalty.models import Balance
from tests.browser.conftest import log_in, screenshot
from tests.loyalty_world import build

pytestmark = pytest.mark.browser


def test_cashier_sells_with_points(page, carol, org, other_org):
    build(other_org, prefix="o-")
    world = build(org)
    adjust_points(program=world.program, customer=world.anna, amount=100, description="Start")
    log_in(page, "carol")

    page.goto("/loyalty/")
    page.get_by_role("button", name="New sale").click()
    page.get_by_label("Find customer").fill("anna")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Choose Anna").click()
    expect(page.locator("#chosen-customer")).to_contain_text("Anna")

    for number, quantity in (("100", "1"), ("200", "2")):
        page.get_by_label("Item number").fill(number)
        page.get_by_label("Quantity").fill(quantity)
        page.get_by_role("button", name="Add").click()
    expect(page.locator("#balances")).to_contain_text("100")
    page.get_by_role("button", name="Use points").click()
    expect(page.locator("#lines")).to_contain_text("paid with 100 points")
    expect(page.locator("#total")).to_contain_text("240.00")
    screenshot(page, "loyalty-till")

    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#receipt")).to_contain_text(
        "points earned 10, points used 100, new balance 10"
    )
    screenshot(page, "loyalty-receipt")
    assert Balance.objects.get(customer=world.anna).points == 10
