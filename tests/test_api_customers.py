"""Customers and import API (DATA-8): token auth, tenants, upserts, validation errors."""

import json

from django.utils import timezone

from regulars.commerce.models import Booking, Sale
from regulars.customers.models import Customer

JSON = "application/json"


def _customer(org, **fields):
    return Customer.objects.create(organisation=org, created_at=timezone.now(), **fields)


def test_unknown_token_is_401(client, org):
    response = client.get("/api/customers/", headers={"Authorization": "Bearer rg_nope"})
    assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})
    assert client.get("/api/customers/").status_code == 401


def test_search_and_pagination_stay_in_the_organisation(api, org, other_org):
    anna = _customer(
        org,
        first_name="Anna",
        last_name="Hansen",
        email="anna@example.com",
        mobile="+4520123456",
        external_id="C1",
    )
    _customer(org, first_name="Bo", last_name="Berg", external_id="C2")
    _customer(other_org, first_name="Anna", last_name="Hansen", external_id="C1")

    body = api.get("/api/customers/", {"q": "anna"}).json()
    assert (body["count"], [c["id"] for c in body["items"]]) == (1, [anna.pk])
    assert api.get("/api/customers/", {"q": "20123456"}).json()["count"] == 1
    # The back office's search: whole e-mail/number/id, else words starting a name.
    found = {
        q: api.get("/api/customers/", {"q": q}).json()["count"]
        for q in ("hans anna", "ANNA@example.com", "C1", "ansen", "example.com")
    }
    assert found == {"hans anna": 1, "ANNA@example.com": 1, "C1": 1, "ansen": 0, "example.com": 0}
    assert (
        api.get("/api/customers/", {"external_id": "C2"}).json()["items"][0]["first_name"] == "Bo"
    )
    page = api.get("/api/customers/", {"page": 2, "page_size": 1}).json()
    assert (page["count"], len(page["items"]), page["items"][0]["external_id"]) == (2, 1, "C2")
    item = api.get(f"/api/customers/{anna.pk}").json()
    assert (item["email"], item["mobile"], item["groups"], item["erased"]) == (
        "anna@example.com",
        "+4520123456",
        [],
        False,
    )


def test_another_organisations_customer_is_404(api, other_org):
    theirs = _customer(other_org, first_name="Ola")
    response = api.get(f"/api/customers/{theirs.pk}")
    assert (response.status_code, response.json()) == (404, {"detail": "No such customer"})


def test_upsert_one_customer_creates_then_updates(api, org, other_org):
    _customer(other_org, external_id="C1", first_name="Ola")
    payload = {
        "external_id": "C1",
        "first_name": "Anna",
        "mobile": "20 12 34 56",
        "groups": ["VIP"],
        "email_consent": True,
        "birth_date": "1990-05-17",
    }
    response = api.post("/api/customers/", payload, content_type=JSON)
    assert response.status_code == 201
    body = response.json()
    assert (body["mobile"], body["groups"], body["email_consent"], body["external_id"]) == (
        "+4520123456",
        ["VIP"],
        True,
        "C1",
    )
    response = api.post(
        "/api/customers/", {"external_id": "C1", "last_name": "Hansen"}, content_type=JSON
    )
    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["last_name"]) == ("Anna", "Hansen")
    assert Customer.objects.filter(organisation=org).count() == 1
    assert Customer.objects.get(organisation=other_org).first_name == "Ola"


def test_wrong_types_and_malformed_json_are_422_naming_the_field(api):
    response = api.post(
        "/api/customers/", {"external_id": "C1", "member": "perhaps"}, content_type=JSON
    )
    assert response.status_code == 422
    body = response.json()
    assert [error["loc"] for error in body["fields"]] == [["body", "row", "member"]]
    assert body["detail"].startswith("body.row.member: Input should be a valid boolean")
    response = api.post("/api/customers/", "{not json", content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"] == "body: malformed JSON"


def test_bad_rows_are_422_with_every_row_and_nothing_written(api, org):
    rows = [
        {"external_id": "C1", "email": "ok@example.com"},
        {"external_id": "C2", "email": "broken"},
        {"external_id": "C1"},
    ]
    response = api.post("/api/customers/batch", {"rows": rows}, content_type=JSON)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "2 bad rows; nothing was imported",
        "errors": [
            {
                "row": 1,
                "line": 3,
                "column": "email",
                "reason": "not a valid e-mail address: 'broken'",
            },
            {
                "row": 2,
                "line": 4,
                "column": "external_id",
                "reason": "the same external_id as line 2",
            },
        ],
        "fields": [],
    }
    assert Customer.objects.count() == 0


def test_batch_dry_run_and_import(api, org):
    rows = [{"external_id": f"C{n}", "first_name": f"K{n}"} for n in range(3)]
    response = api.post("/api/customers/batch", {"rows": rows, "dry_run": True}, content_type=JSON)
    assert (response.status_code, response.json()["created"]) == (200, 3)
    assert Customer.objects.count() == 0
    response = api.post("/api/customers/batch", {"rows": rows}, content_type=JSON)
    assert response.json()["created"] == 3
    assert Customer.objects.filter(organisation=org).count() == 3


def test_sales_and_bookings_over_the_api(api, org, other_org):
    anna = _customer(org, external_id="C1")
    _customer(other_org, external_id="C9")
    lines = [
        {
            "receipt_id": "R1",
            "customer_external_id": "C1",
            "sold_at": "2026-03-01T10:00:00",
            "channel": "pos",
            "item_number": "100",
            "quantity": 2,
            "unit_price": "129.50",
        },
        {
            "receipt_id": "R1",
            "customer_external_id": "C1",
            "sold_at": "2026-03-01T10:00:00",
            "channel": "pos",
            "item_number": "200",
            "quantity": 1,
            "unit_price": 50,
        },
    ]
    response = api.post("/api/imports/sales/batch", {"rows": lines}, content_type=JSON)
    assert (response.status_code, response.json()["created"]) == (200, 1)
    sale = Sale.objects.get()
    assert (sale.customer, sorted(sale.lines.values_list("amount_cents", flat=True))) == (
        anna,
        [5000, 25900],
    )

    booking = {
        "booking_id": "B1",
        "customer_external_id": "C9",
        "service": "Cut",
        "start": "2026-03-01T10:00:00",
        "status": "booked",
    }
    response = api.post("/api/imports/bookings", booking, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["errors"][0]["reason"] == "no customer 'C9'"
    booking["customer_external_id"] = "C1"
    assert api.post("/api/imports/bookings", booking, content_type=JSON).json()["created"] == 1
    assert Booking.objects.get().customer == anna


def test_file_upload(api, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "kunder.csv", b"external_id,first_name\nC1,Anna\n", content_type="text/csv"
    )
    response = api.post("/api/imports/files/customers", {"file": upload, "dry_run": "true"})
    assert (response.status_code, response.json()["created"], response.json()["dry_run"]) == (
        200,
        1,
        True,
    )
    assert Customer.objects.count() == 0
    upload = SimpleUploadedFile("kunder.pdf", b"%PDF", content_type="application/pdf")
    response = api.post("/api/imports/files/customers", {"file": upload})
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "kunder.pdf: not a CSV or .xlsx file"},
    )


def test_openapi_documents_4xx(client):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/customers/{customer_id}"]["get"]
    assert {"401", "404", "422"} <= set(operation["responses"])
    assert json.dumps(schema)  # serialisable
