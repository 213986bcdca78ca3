"""The back office in a real browser: log in, language, customers, import, roles."""

import re
import threading

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from regulars.customers.models import ConsentRecord, Customer, CustomerGroup, Tag
from regulars.imports import jobs
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def customers(org, other_org):
    vip = CustomerGroup.objects.create(organisation=org, name="VIP")
    tag = Tag.objects.create(organisation=org, name="Stamkunde")
    rows = [
        ("Anna", "Jensen", "anna@example.com", "+4520304050", True),
        ("Bo", "Hansen", "bo@example.dk", "", False),
        ("Carl", "Andersen", "carl@example.com", "+4540506070", True),
        ("Dorte", "Nielsen", "", "+4530405060", False),
    ]
    made = []
    for number, (first, last, email, mobile, consent) in enumerate(rows, start=1):
        customer = Customer.objects.create(
            organisation=org,
            external_id=f"K-{number}",
            first_name=first,
            last_name=last,
            email=email,
            mobile=mobile,
            email_consent=consent,
            member=number % 2 == 1,
            created_at=timezone.now(),
        )
        made.append(customer)
    made[0].groups.add(vip)
    made[0].tags.add(tag)
    Customer.objects.create(
        organisation=other_org, first_name="Anna", last_name="Other", created_at=timezone.now()
    )
    return made


def test_log_in_and_switch_language(page, alice, customers):
    page.goto("/customers/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/customers/"))
    screenshot(page, "01-login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errorlist")).to_be_visible()
    screenshot(page, "02-login-error")
    log_in(page, "alice")
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.locator("#customer-count")).to_contain_text("4 customers")
    expect(page.get_by_text("Anna Other")).to_have_count(0)
    screenshot(page, "03-customers")
    page.get_by_label("Language").select_option("da")
    expect(page.get_by_role("heading", name="Kunder")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "da")
    screenshot(page, "04-customers-da")
    page.get_by_label("Sprog").select_option("nb")
    expect(page.get_by_role("link", name="Innstillinger")).to_be_visible()
    page.get_by_label("Språk").select_option("en")
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()


def test_search_open_and_edit_a_customer(page, alice, customers):
    log_in(page, "alice")
    page.get_by_label("Search").fill("jens")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=jens"))
    screenshot(page, "05-customers-search")
    page.get_by_role("link", name="Anna Jensen").click()
    expect(page.get_by_role("heading", name="Anna Jensen")).to_be_visible()
    screenshot(page, "06-customer")
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Mobile").fill("12")
    page.get_by_label("First name").fill("Annie")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_mobile_error")).to_contain_text("not a")
    expect(page.get_by_label("First name")).to_have_value("Annie")
    screenshot(page, "07-customer-edit-error")
    page.get_by_label("Mobile").fill("+45 20 30 40 59")
    page.get_by_label("SMS newsletter").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Annie Jensen")).to_be_visible()
    expect(page.locator("#consent-history")).to_contain_text("SMS newsletter")
    screenshot(page, "08-customer-saved")
    anna = Customer.objects.get(pk=customers[0].pk)
    assert (anna.first_name, anna.mobile, anna.sms_consent) == ("Annie", "+4520304059", True)
    assert ConsentRecord.objects.filter(customer=anna, kind="sms", actor=alice).count() == 1


def test_import_with_a_bad_row_shows_the_error(page, alice, org, tmp_path, settings, monkeypatch):
    settings.VAR_DIR = tmp_path
    log_in(page, "alice")
    page.get_by_role("link", name="Imports").click()
    page.get_by_label("What the file holds").select_option("customers")
    page.locator("#id_file").set_input_files(
        files=[
            {
                "name": "customers.csv",
                "mimeType": "text/csv",
                "buffer": (
                    b"external_id,first_name,email,birth_date\n"
                    b"N1,Nora,nora@example.com,1991-04-01\n"
                    b"N2,Ole,ole@example.com,not a date\n"
                ),
            }
        ]
    )
    page.get_by_role("button", name="Check the file").click()
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("3")
    expect(errors.first).to_contain_text("birth_date")
    screenshot(page, "09-import-error")
    assert Customer.objects.filter(organisation=org).count() == 0
    page.locator("#id_file").set_input_files(
        files=[
            {
                "name": "customers.csv",
                "mimeType": "text/csv",
                "buffer": b"external_id,first_name,email\nN1,Nora,nora@example.com\n",
            }
        ]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="The file is ready to import")).to_be_visible()
    screenshot(page, "10-import-ready")
    page.get_by_role("button", name="Import now").click()
    expect(page.get_by_text("Waiting for the background worker to start.")).to_be_visible()
    assert Customer.objects.filter(organisation=org).count() == 0
    # The worker runs the job; it is held after its first chunk so that the page, which
    # polls, can be seen showing the progress.
    reached, release = threading.Event(), threading.Event()
    monkeypatch.setattr(jobs, "import_file", _held_after_first_chunk(reached, release))
    worker = threading.Thread(target=_run_worker_once)
    worker.start()
    try:
        assert reached.wait(15)
        expect(page.locator("#import-progress-text")).to_have_text("1 of 1 rows (100 %)")
        screenshot(page, "11-import-progress")
    finally:
        release.set()
        worker.join(30)
    expect(page.get_by_role("heading", name="Import done")).to_be_visible()
    screenshot(page, "12-import-done")
    assert Customer.objects.filter(organisation=org, external_id="N1").count() == 1


def _held_after_first_chunk(reached: threading.Event, release: threading.Event):
    real_import_file = jobs.import_file

    def import_file(**arguments):
        report_progress = arguments["on_progress"]

        def on_progress(rows_done: int) -> None:
            report_progress(rows_done)
            reached.set()
            release.wait(20)

        return real_import_file(**{**arguments, "on_progress": on_progress})

    return import_file


def _run_worker_once() -> None:
    try:
        jobs.run_queued_import_jobs()
    finally:
        connection.close()


def test_cashier_cannot_open_marketing_pages(page, carol, customers):
    log_in(page, "carol")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Customers")).to_be_visible()
    for hidden in ("Segments", "Campaigns", "Triggers", "Statistics", "Imports", "Settings"):
        expect(nav.get_by_role("link", name=hidden)).to_have_count(0)
    for path in ("/segments/", "/campaigns/", "/imports/", "/settings/"):
        response = page.goto(path)
        assert response.status == 403, path
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    screenshot(page, "11-cashier-forbidden")


def test_settings_and_not_found_pages(page, alice, customers):
    log_in(page, "alice")
    page.get_by_role("link", name="Settings").click()
    screenshot(page, "12-settings")
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Web shop")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#new-key")).to_contain_text("rg_")
    screenshot(page, "13-api-key-once")
    page.get_by_role("link", name="Staff and roles").click()
    screenshot(page, "14-staff")
    response = page.goto(f"/customers/{customers[-1].pk + 1000}/")
    assert response.status == 404
    screenshot(page, "15-not-found")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/customers/")
    screenshot(page, "16-customers-phone")
