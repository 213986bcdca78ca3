"""Customer pages: list (search, filters, sort, keyset pages), customer page, edit."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from regulars.commerce.models import (
    Booking,
    BookingStatus,
    Item,
    ItemGroup,
    Sale,
    SaleLine,
    Service,
)
from regulars.customers.models import ConsentRecord, Customer, CustomerGroup, Permission, Tag
from regulars.web.customers import listing


def make_customer(org, first, last, **fields):
    fields.setdefault("created_at", timezone.now())
    return Customer.objects.create(organisation=org, first_name=first, last_name=last, **fields)


@pytest.fixture
def people(org, other_org):
    vip = CustomerGroup.objects.create(organisation=org, name="VIP")
    tag = Tag.objects.create(organisation=org, name="Tesla")
    anna = make_customer(
        org,
        "Anna",
        "Jensen",
        email="anna@example.com",
        mobile="+4520304050",
        external_id="K-1",
        email_consent=True,
        member=True,
    )
    anna.groups.add(vip)
    bo = make_customer(org, "Bo", "Hansen", email="bo@example.dk", sms_consent=True)
    bo.tags.add(tag)
    make_customer(org, "Carl", "Andersen", external_id="K-3")
    # Another organisation's Anna must never show up.
    make_customer(other_org, "Anna", "Jensen", email="anna@other.example", external_id="K-1")
    return {"anna": anna, "bo": bo, "vip": vip, "tag": tag}


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def names(response) -> list[str]:
    return [customer.full_name for customer in response.context["page"].customers]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Carl Andersen", "Bo Hansen", "Anna Jensen"]),
        ({"q": "anna"}, ["Anna Jensen"]),
        ({"q": "anna jensen"}, ["Anna Jensen"]),
        ({"q": "BO@example"}, ["Bo Hansen"]),
        ({"q": "K-3"}, ["Carl Andersen"]),
        ({"q": "20304050"}, ["Anna Jensen"]),
        ({"q": "+45 20 30 40 50"}, ["Anna Jensen"]),
        ({"consent": "email"}, ["Anna Jensen"]),
        ({"consent": "sms"}, ["Bo Hansen"]),
        ({"consent": "none"}, ["Carl Andersen"]),
        ({"member": "yes"}, ["Anna Jensen"]),
        ({"member": "no"}, ["Carl Andersen", "Bo Hansen"]),
        ({"sort": "-name"}, ["Anna Jensen", "Bo Hansen", "Carl Andersen"]),
        ({"q": "nobody"}, []),
    ],
)
def test_search_and_filters(alice_client, people, query, expected):
    response = alice_client.get(reverse("web:customers"), query)
    assert response.status_code == 200
    assert names(response) == expected
    assert response.context["page"].total == len(expected)


def test_group_and_tag_filters(alice_client, people):
    url = reverse("web:customers")
    assert names(alice_client.get(url, {"group": people["vip"].pk})) == ["Anna Jensen"]
    assert names(alice_client.get(url, {"tag": people["tag"].pk})) == ["Bo Hansen"]
    everyone = ["Carl Andersen", "Bo Hansen", "Anna Jensen"]
    for impossible in ("99999999999999999999", "-1", "x"):
        assert names(alice_client.get(url, {"group": impossible, "tag": impossible})) == everyone


@pytest.fixture
def nordic(org, other_org, people):
    """Names with letters beyond ASCII, and the other organisation's namesakes."""
    make_customer(org, "Søren", "Ørsted", email="soren@example.com", external_id="K-9")
    make_customer(org, "Åse", "Ærø", member=True).groups.add(people["vip"])
    make_customer(other_org, "Søren", "Ørsted", external_id="K-9")
    make_customer(other_org, "Anna", "Andersen")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # Every word starts the first or last name (any case, any order).
        ("an", ["Carl Andersen", "Anna Jensen"]),
        ("ANNA", ["Anna Jensen"]),
        ("jens", ["Anna Jensen"]),
        ("jensen anna", ["Anna Jensen"]),
        ("an jen", ["Anna Jensen"]),
        ("anna hansen", []),
        ("nna", []),  # inside a name is not a start
        ("ørsted", ["Søren Ørsted"]),
        ("ØRS", ["Søren Ørsted"]),
        ("Ørsted søren", ["Søren Ørsted"]),
        ("ærø", ["Åse Ærø"]),
        ("åse", ["Åse Ærø"]),
        # The start of the e-mail address, in any case; a whole address or external id.
        ("bo@exa", ["Bo Hansen"]),
        ("SOREN@", ["Søren Ørsted"]),
        ("Soren@Example.com", ["Søren Ørsted"]),
        ("K-9", ["Søren Ørsted"]),
        ("K-", []),
    ],
)
def test_search_words_start_names_and_addresses(alice_client, nordic, q, expected):
    response = alice_client.get(reverse("web:customers"), {"q": q})
    assert names(response) == expected
    assert response.context["page"].total == len(expected)


def test_search_with_filters_and_many_matches(alice_client, nordic, people, monkeypatch):
    url = reverse("web:customers")
    both = {"group": people["vip"].pk, "member": "yes"}
    assert names(alice_client.get(url, both)) == ["Anna Jensen", "Åse Ærø"]
    assert names(alice_client.get(url, {**both, "q": "å"})) == ["Åse Ærø"]
    assert names(alice_client.get(url, {"tag": people["tag"].pk, "q": "an"})) == []
    # More matches than are counted: the words filter the sorted walk instead of ids.
    monkeypatch.setattr(listing, "COUNT_LIMIT", 1)
    response = alice_client.get(url, {"q": "an"})
    assert names(response) == ["Carl Andersen", "Anna Jensen"]
    assert response.context["page"].total_is_capped


def test_htmx_search_returns_only_the_results(alice_client, people):
    response = alice_client.get(
        reverse("web:customers"), {"q": "bo"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "Bo Hansen" in html and "Anna Jensen" not in html


@pytest.mark.parametrize("python_sorts", [True, False])
def test_keyset_pages_walk_forward_and_back(alice_client, org, monkeypatch, python_sorts):
    # Python sorts the matches it fetched where it orders text as the database does;
    # elsewhere (PostgreSQL under a language's collation) the database sorts them.
    monkeypatch.setattr(listing, "_sorts_text_like_python", lambda: python_sorts)
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    start = timezone.now()
    for number in range(5):
        make_customer(org, f"P{number}", "Same", created_at=start + dt.timedelta(minutes=number))
    url = reverse("web:customers")
    first = alice_client.get(url, {"sort": "-created"})
    assert names(first) == ["P4 Same", "P3 Same"]
    second = alice_client.get(url, {"sort": "-created", "after": first.context["page"].next_cursor})
    assert names(second) == ["P2 Same", "P1 Same"]
    third = alice_client.get(url, {"sort": "-created", "after": second.context["page"].next_cursor})
    assert names(third) == ["P0 Same"]
    assert third.context["page"].next_cursor is None
    back = alice_client.get(
        url, {"sort": "-created", "before": third.context["page"].previous_cursor}
    )
    assert names(back) == ["P2 Same", "P1 Same"]
    by_name = alice_client.get(url, {"sort": "name"})
    assert names(by_name) == ["P0 Same", "P1 Same"]
    later = alice_client.get(url, {"sort": "name", "after": by_name.context["page"].next_cursor})
    assert names(later) == ["P2 Same", "P3 Same"]


def test_broken_cursor_shows_the_first_page(alice_client, people):
    response = alice_client.get(reverse("web:customers"), {"after": "not-a-cursor!!"})
    assert names(response) == ["Carl Andersen", "Bo Hansen", "Anna Jensen"]


def test_total_is_capped(alice_client, org, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_LIMIT", 2)
    for number in range(4):
        make_customer(org, f"P{number}", "X")
    response = alice_client.get(reverse("web:customers"))
    assert response.context["page"].total_is_capped
    assert "More than 2 customers" in response.content.decode()


def test_customer_page_shows_history(alice_client, org, people, alice):
    anna = people["anna"]
    group = ItemGroup.objects.create(organisation=org, name="Hårpleje")
    item = Item.objects.create(organisation=org, number="100", name="Shampoo", group=group)
    sold = timezone.now()
    sale = Sale.objects.create(
        organisation=org, receipt_id="R-77", customer=anna, sold_at=sold, channel="pos"
    )
    for number, amount in ((1, 12950), (2, 5000)):
        SaleLine.objects.create(
            organisation=org,
            sale=sale,
            line_number=number,
            customer=anna,
            sold_at=sold,
            channel="pos",
            item=item,
            item_group=group,
            quantity=1,
            unit_price_cents=amount,
            amount_cents=amount,
        )
    service = Service.objects.create(organisation=org, name="Klipning")
    Booking.objects.create(
        organisation=org,
        external_id="B1",
        customer=anna,
        service=service,
        start=sold,
        end=sold + dt.timedelta(hours=1),
        status=BookingStatus.COMPLETED,
    )
    page = alice_client.get(reverse("web:customer", args=[anna.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "R-77" in html and "Shampoo" in html and "179.50 DKK" in html
    assert "Klipning" in html and "Completed" in html
    assert "VIP" in html
    assert 'id="h-points"' in html and 'id="h-messages"' in html


def test_other_organisations_customer_is_404(client, bob, people):
    client.force_login(bob)
    assert client.get(reverse("web:customer", args=[people["anna"].pk])).status_code == 404
    assert client.get(reverse("web:customer_edit", args=[people["anna"].pk])).status_code == 404
    other_list = client.get(reverse("web:customers"))
    assert [c.email for c in other_list.context["page"].customers] == ["anna@other.example"]


def edit_data(customer, **changes):
    data = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "mobile": customer.mobile,
        "gender": customer.gender,
        "birth_date": "",
        "address": "",
        "postcode": "",
        "city": "",
        "country": "",
        "language": "",
        "external_id": customer.external_id or "",
    }
    if customer.member:
        data["member"] = "on"
    if customer.email_consent:
        data["email_consent"] = "on"
    if customer.sms_consent:
        data["sms_consent"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_edit_saves_profile_and_records_consents(alice_client, org, people, alice):
    anna = people["anna"]
    newsletter = Permission.objects.create(
        organisation=org, name="Offers by post", text="We may send you offers."
    )
    data = edit_data(
        anna,
        email_consent=None,
        sms_consent="on",
        mobile="20 30 40 51",
        postcode="8000",
        birth_date="1990-02-28",
        permissions=str(newsletter.pk),
        new_tags="Stamkunde, Tesla2",
        groups=str(people["vip"].pk),
    )
    response = alice_client.post(reverse("web:customer_edit", args=[anna.pk]), data)
    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.mobile == "+4520304051"
    assert (anna.postcode_number, anna.birth_monthday) == (8000, 228)
    assert (anna.email_consent, anna.sms_consent) == (False, True)
    records = ConsentRecord.objects.filter(customer=anna).order_by("kind")
    assert [(r.kind, r.granted, r.source, r.actor) for r in records] == [
        ("email", False, "back office", alice),
        ("permission", True, "back office", alice),
        ("sms", True, "back office", alice),
    ]
    assert records[1].text_shown == "We may send you offers."
    assert sorted(anna.tags.values_list("name", flat=True)) == ["Stamkunde", "Tesla2"]
    # Saving again without changes adds no consent record.
    alice_client.post(
        reverse("web:customer_edit", args=[anna.pk]),
        {**data, "tags": [t.pk for t in anna.tags.all()]},
    )
    assert ConsentRecord.objects.filter(customer=anna).count() == 3


def test_edit_errors_are_shown_beside_fields_and_nothing_is_saved(alice_client, people):
    anna = people["anna"]
    data = edit_data(
        anna,
        mobile="12",
        external_id="K-3",
        birth_date="2999-01-01",
        sms_consent="on",
        first_name="Changed",
    )
    response = alice_client.post(reverse("web:customer_edit", args=[anna.pk]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"mobile", "external_id", "birth_date"}
    html = response.content.decode()
    assert 'id="id_mobile_error"' in html
    assert 'value="Changed"' in html
    anna.refresh_from_db()
    assert anna.first_name == "Anna" and anna.sms_consent is False
    assert ConsentRecord.objects.filter(customer=anna).count() == 0


@pytest.mark.parametrize("ticked", ["99999999999999999999", "-1", "x", "²"])
def test_a_ticked_id_no_row_can_have_is_an_error_beside_its_field(alice_client, people, ticked):
    anna = people["anna"]
    data = edit_data(anna, first_name="Changed")
    for field in ("groups", "tags", "permissions"):
        response = alice_client.post(
            reverse("web:customer_edit", args=[anna.pk]), {**data, field: [ticked]}
        )
        assert response.status_code == 200
        assert set(response.context["form"].errors) == {field}
    anna.refresh_from_db()
    assert anna.first_name == "Anna"


def test_cashier_edits_profile_but_not_groups_and_tags(client, carol, people):
    client.force_login(carol)
    anna = people["anna"]
    page = client.get(reverse("web:customer_edit", args=[anna.pk]))
    assert "groups" not in page.context["form"].fields
    data = edit_data(anna, first_name="Annie", new_tags="Hacked", groups="")
    assert client.post(reverse("web:customer_edit", args=[anna.pk]), data).status_code == 302
    anna.refresh_from_db()
    assert anna.first_name == "Annie"
    assert list(anna.groups.values_list("name", flat=True)) == ["VIP"]
    assert not Tag.objects.filter(name="Hacked").exists()


def test_viewer_cannot_edit(client, victor, people):
    client.force_login(victor)
    anna = people["anna"]
    assert client.get(reverse("web:customer", args=[anna.pk])).status_code == 200
    assert client.get(reverse("web:customer_edit", args=[anna.pk])).status_code == 403
    response = client.post(
        reverse("web:customer_edit", args=[anna.pk]), edit_data(anna, first_name="X")
    )
    assert response.status_code == 403
    anna.refresh_from_db()
    assert anna.first_name == "Anna"


def test_erased_customer_is_not_shown(alice_client, people):
    anna = people["anna"]
    Customer.objects.filter(pk=anna.pk).update(erased_at=timezone.now())
    assert alice_client.get(reverse("web:customer", args=[anna.pk])).status_code == 404
    assert "Anna Jensen" not in names(alice_client.get(reverse("web:customers")))
