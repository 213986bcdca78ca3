"""The till API (LOY-8): baskets, points on lines, complete, idempotency keys."""

import json

import pytest
from loyalty_world import build

from regulars.commerce.models import Sale
from regulars.loyalty.actions import adjust_points
from regulars.loyalty.models import Balance, BasketLine, LedgerEntry

URL = "/api/loyalty"


@pytest.fixture
def world(org, other_org):
    build(other_org, prefix="o-")
    return build(org)


def post(client, path, body, key, method="post"):
    return getattr(client, method)(
        URL + path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_basket_flow_with_points_and_receipt(api, world):
    adjust_points(program=world.program, customer=world.anna, amount=95, description="Welcome")
    opened = post(api, "/baskets", {"customer_external_id": "anna", "lines": []}, "k1")
    assert opened.status_code == 201, opened.content
    basket = opened.json()["basket_id"]
    added = post(api, f"/baskets/{basket}/lines", {"item_number": "100"}, "k2").json()
    line = added["quote"]["lines"][0]
    assert line["programs"][0] == {
        "program_id": world.program.pk,
        "program_name": "Salon points",
        "points_earned": 10,
        "point_price": 100,
        "purchasable": True,
        "affordable": False,
    }
    assert added["quote"]["programs"][0]["balance_after"] == 105

    refused = post(
        api,
        f"/baskets/{basket}/lines/1/points",
        {"program_id": world.program.pk},
        "k3",
        method="put",
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "insufficient_points"

    post(api, f"/baskets/{basket}/lines", {"item_number": "200", "quantity": 2}, "k4")
    adjust_points(program=world.program, customer=world.anna, amount=5, description="Bonus")
    applied = post(
        api,
        f"/baskets/{basket}/lines/1/points",
        {"program_id": world.program.pk},
        "k5",
        method="put",
    ).json()
    first = applied["quote"]["lines"][0]
    assert (
        first["locked"],
        first["amount_cents"],
        first["points_used"],
        first["points_earned"],
    ) == (True, 0, 100, 0)
    cancelled = post(api, f"/baskets/{basket}/lines/1/points", {}, "k6", method="delete").json()
    assert cancelled["quote"]["lines"][0]["amount_cents"] == 45000
    post(
        api,
        f"/baskets/{basket}/lines/1/points",
        {"program_id": world.program.pk},
        "k7",
        method="put",
    )

    done = post(api, f"/baskets/{basket}/complete", {"receipt_id": "R-1"}, "k8")
    assert done.status_code == 201, done.content
    receipt = done.json()
    assert (
        receipt["receipt_id"],
        receipt["total_cents"],
        receipt["points_earned"],
        receipt["points_used"],
    ) == ("R-1", 24000, 10, 100)
    assert receipt["programs"][0]["balance_after"] == 10
    assert Balance.objects.get(customer=world.anna).points == 10
    again = post(api, f"/baskets/{basket}/lines", {"item_number": "100"}, "k9")
    assert (again.status_code, again.json()["code"]) == (422, "basket_closed")


def test_one_call_sale_is_idempotent(api, world):
    body = {"customer_id": world.anna.pk, "lines": [{"item_number": "100", "quantity": 2}]}
    first = post(api, "/sales", body, "sale-1")
    replay = post(api, "/sales", body, "sale-1")
    assert first.status_code == replay.status_code == 201
    assert first.json() == replay.json()
    assert (
        Sale.objects.filter(organisation=world.org).count(),
        Balance.objects.get(customer=world.anna).points,
    ) == (1, 20)
    other = post(api, "/sales", {**body, "receipt_id": "X"}, "sale-1")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_in_use")
    missing = api.post(URL + "/sales", data=json.dumps(body), content_type="application/json")
    assert missing.status_code == 422


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"lines": [{"item_number": "100"}]}, 422, "customer_required"),
        ({"customer_id": 0, "lines": [{"item_number": "100"}]}, 404, "not_found"),
        (
            {"customer_external_id": "anna", "lines": [{"item_number": "100", "quantity": -2}]},
            422,
            "bad_quantity",
        ),
        (
            {
                "customer_external_id": "anna",
                "lines": [{"item_number": "100", "points_program_id": -1}],
            },
            422,
            "unknown_program",
        ),
        (
            {
                "customer_external_id": "anna",
                "gift_card_code": "NOPE-NOPE",
                "lines": [{"item_number": "100"}],
            },
            422,
            "unknown_gift_card",
        ),
    ],
)
def test_bad_sales_are_refused_and_write_nothing(api, world, body, status, code):
    response = post(api, "/sales", body, "bad")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert (Sale.objects.count(), LedgerEntry.objects.count()) == (0, 0)


def test_a_basket_line_beyond_the_limits_is_refused(api, world):
    basket = post(api, "/baskets", {"customer_external_id": "anna", "lines": []}, "b1").json()[
        "basket_id"
    ]
    for key, line in enumerate(
        [
            {"item_number": "100", "quantity": 10**20},
            {"item_number": "100", "unit_price_cents": 10**19},
            {"item_number": "100", "discount_cents": 10**19},
        ]
    ):
        response = post(api, f"/baskets/{basket}/lines", line, f"l{key}")
        assert response.status_code == 422, response.content
    assert BasketLine.objects.count() == 0


def test_adjustment_needs_description(api, world):
    body = {
        "program_id": world.program.pk,
        "customer_id": world.ben.pk,
        "amount": 5,
        "description": " ",
    }
    response = post(api, "/adjustments", body, "a1")
    assert (response.status_code, response.json()["code"]) == (422, "description_required")
    response = post(api, "/adjustments", {**body, "description": "Sorry"}, "a2")
    assert response.status_code == 201 and response.json()["balance_after"] == 5


def test_tenants_never_leak(api, other_api, world, other_org):
    post(api, "/sales", {"customer_id": world.anna.pk, "lines": [{"item_number": "100"}]}, "s")
    leaked = post(
        other_api, "/sales", {"customer_id": world.anna.pk, "lines": [{"item_number": "100"}]}, "s"
    )
    assert (leaked.status_code, leaked.json()["code"]) == (404, "not_found")
    assert other_api.get(f"{URL}/customers/{world.anna.pk}/balances").status_code == 404
    names = [p["name"] for p in other_api.get(f"{URL}/programs").json()]
    assert names == ["o-Salon points"]
    basket = post(api, "/baskets", {"lines": []}, "b").json()["basket_id"]
    assert other_api.get(f"{URL}/baskets/{basket}").status_code == 404
    assert api.get(f"{URL}/customers/{world.anna.pk}/balances").json() == [
        {"program_id": world.program.pk, "program_name": "Salon points", "balance": 10}
    ]


def test_openapi_documents_refusals(api, world):
    schema = api.get("/api/openapi.json").json()
    sale = schema["paths"]["/api/loyalty/sales"]["post"]
    assert {"201", "404", "409", "422"} <= set(sale["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in sale["parameters"])
