"""A real Chromium builds a three-criterion segment and sees the exact live count."""

import pytest
from django.conf import settings
from django.test import Client

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD
from tests.segment_support import customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def salon_customers(org, other_org):
    """Women over 30 with e-mail consent: Ann and Cleo (2). Everyone else misses one."""
    customer(
        org,
        external_id="ann",
        first_name="Ann",
        gender="female",
        birth_date="1980-05-01",
        email="ann@example.com",
        email_consent=True,
    )
    customer(
        org,
        external_id="bea",
        first_name="Bea",
        gender="female",
        birth_date="2010-05-01",
        email="bea@example.com",
        email_consent=True,
    )
    customer(
        org,
        external_id="cleo",
        first_name="Cleo",
        gender="female",
        birth_date=None,
        email="cleo@example.com",
        email_consent=True,
    )
    customer(org, external_id="dina", first_name="Dina", gender="female", birth_date="1970-01-01")
    customer(
        org,
        external_id="dan",
        first_name="Dan",
        gender="male",
        birth_date="1970-01-01",
        email_consent=True,
    )
    customer(
        other_org,
        external_id="zoe",
        first_name="Zoe",
        gender="female",
        birth_date="1970-01-01",
        email_consent=True,
    )


def session_cookie(user, live_server):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": live_server.url}


def test_build_three_criteria_and_see_the_count(browser, live_server, alice, salon_customers):
    from playwright.sync_api import expect

    cookie = session_cookie(alice, live_server)
    expect.set_options(timeout=20_000)  # the machine is shared; counts may take a while
    context = browser.new_context(locale="en")
    try:
        context.add_cookies([cookie])
        page = context.new_page()
        page.goto(f"{live_server.url}/segments/new/")

        page.locator(".add-criterion").first.select_option("gender")
        page.locator("li[data-type=gender] select[data-param=values]").select_option(["female"])
        expect(page.get_by_test_id("count-total")).to_have_text("4")

        page.locator(".add-criterion").first.select_option("age")
        page.locator("li[data-type=age] input[data-param=min]").fill("30")
        # Unknown age is included (seed 002): Ann, Cleo, Dina.
        expect(page.get_by_test_id("count-total")).to_have_text("3")

        page.locator(".add-criterion").first.select_option("consent")
        page.locator("li[data-type=consent] select[data-param=channel]").select_option("email")
        expect(page.get_by_test_id("count-total")).to_have_text("2")
        expect(page.locator("#count-email")).to_have_text("2")
        expect(page.locator("li[data-type=gender] .criterion-count")).to_have_text("4 customers")
        expect(page.locator("#member-rows tr")).to_have_count(2)

        page.fill("#segment-name", "Women over 30 with newsletter")
        screenshot(page, "segment-dashboard")
        page.get_by_role("button", name="Save as segment").click()
        expect(page.locator("h1")).to_have_text("Women over 30 with newsletter")
        expect(page.get_by_test_id("count-total")).to_have_text("2")
    finally:
        context.close()


def test_choices_show_danish_labels_and_keep_their_values(
    browser, live_server, alice, salon_customers
):
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    context = browser.new_context(locale="da")
    try:
        context.add_cookies([session_cookie(alice, live_server)])
        page = context.new_page()
        page.goto(f"{live_server.url}/segments/new/")

        page.locator(".add-criterion").first.select_option("gender")
        genders = page.locator("li[data-type=gender] select[data-param=values] option")
        expect(genders).to_have_text(["kvinder", "mænd", "ukendt"])
        page.locator("li[data-type=gender] select[data-param=values]").select_option(["female"])
        expect(page.get_by_test_id("count-total")).to_have_text("4")

        page.locator(".add-criterion").first.select_option("last_purchase")
        modes = page.locator("li[data-type=last_purchase] select[data-param=mode] option")
        expect(modes).to_have_text(
            [
                "—",
                "inden for de sidste dage",
                "for præcis dage siden",
                "ikke inden for de sidste dage",
            ]
        )
        page.locator(".add-criterion").first.select_option("bought_item_group")
        periods = page.locator("li[data-type=bought_item_group] select[data-param=period] option")
        expect(periods).to_have_text(["—", "seneste dage", "kommende dage", "fra–til"])
        screenshot(page, "segment-dashboard-da")
    finally:
        context.close()
