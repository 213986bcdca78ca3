"""Segments API: counts, saved segments and views, members, exports, tagging."""

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from regulars.customers.models import Tag
from regulars.imports.actions import import_rows
from regulars.imports.tables import read_table
from regulars.segments.actions import create_segment
from regulars.segments.exports import export_members
from regulars.segments.queries import segment_members
from tests.segment_support import customer, event, moment, ticket_order

WOMEN = {"match": "all", "criteria": [{"type": "gender", "values": ["female"]}]}


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def salon(org, other_org):
    for name, gender in [("Ann", "female"), ("Bea", "female"), ("Cleo", "female"), ("Dan", "male")]:
        customer(
            org,
            external_id=name.lower(),
            first_name=name,
            gender=gender,
            email=f"{name.lower()}@example.com",
            email_consent=gender == "female",
        )
    customer(other_org, external_id="zoe", first_name="Zoe", gender="female")
    return org


def test_count_a_rule_tree(api, salon):
    response = post(api, "/api/segments/count", {"rules": WOMEN})
    assert response.status_code == 200
    assert response.json() == {
        "total": 3,
        "email": 3,
        "sms": 0,
        "criteria": [{"type": "gender", "count": 3}],
    }


@pytest.mark.parametrize(
    ("rules", "detail"),
    [
        ({"match": "all", "criteria": []}, "criteria: empty group"),
        (
            {"match": "all", "criteria": [{"type": "created", "period": {"from": "x", "to": "y"}}]},
            "criteria[0].period.from: not a date",
        ),
        (
            {"match": "all", "criteria": [{"type": "tag", "tags": ["nope"]}]},
            "criteria[0].tags[0]: unknown tag: nope",
        ),
    ],
)
def test_bad_rules_answer_422_with_the_path(api, salon, rules, detail):
    response = post(api, "/api/segments/count", {"rules": rules})
    assert response.status_code == 422
    assert response.json() == {"detail": detail}
    assert post(api, "/api/segments", {"name": "x", "rules": rules}).status_code == 422


def test_segment_crud_remove_and_restore(api, other_api, salon):
    created = post(api, "/api/segments", {"name": "Women", "rules": WOMEN})
    assert created.status_code == 201
    segment_id = created.json()["id"]
    assert [s["name"] for s in api.get("/api/segments").json()] == ["Women"]
    assert other_api.get(f"/api/segments/{segment_id}").status_code == 404
    assert other_api.get("/api/segments").json() == []
    changed = patch(api, f"/api/segments/{segment_id}", {"name": "Ladies"})
    assert changed.json()["name"] == "Ladies"
    assert patch(api, f"/api/segments/{segment_id}", {"rules": {"match": "x"}}).status_code == 422
    assert api.delete(f"/api/segments/{segment_id}").status_code == 204
    assert api.get("/api/segments").json() == []
    assert [s["id"] for s in api.get("/api/segments?removed=true").json()] == [segment_id]
    assert other_api.post(f"/api/segments/{segment_id}/restore").status_code == 404
    assert api.post(f"/api/segments/{segment_id}/restore").json()["removed"] is False
    assert [s["name"] for s in api.get("/api/segments").json()] == ["Ladies"]


def test_members_paginated_and_dynamic(api, salon):
    segment_id = post(api, "/api/segments", {"name": "Women", "rules": WOMEN}).json()["id"]
    page = api.get(f"/api/segments/{segment_id}/members?page=1&page_size=2").json()
    assert page["count"] == 3
    assert [m["external_id"] for m in page["results"]] == ["ann", "bea"]
    page = api.get(f"/api/segments/{segment_id}/members?page=2&page_size=2").json()
    assert [m["external_id"] for m in page["results"]] == ["cleo"]
    customer(salon, external_id="eva", first_name="Eva", gender="female")
    assert api.get(f"/api/segments/{segment_id}/count").json()["total"] == 4


def test_export_csv_and_xlsx(api, salon):
    segment_id = post(api, "/api/segments", {"name": "Women", "rules": WOMEN}).json()["id"]
    response = api.get(f"/api/segments/{segment_id}/export?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "external_id"
    assert [row[0] for row in rows[1:]] == ["ann", "bea", "cleo"]
    response = api.get(f"/api/segments/{segment_id}/export?format=xlsx&all_data=true")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *body = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("external_id", "first_name", "last_name")
    assert "email_consent" in header
    assert [row[0] for row in body] == ["ann", "bea", "cleo"]


def test_tag_all_members_counts_already_tagged(api, other_api, salon):
    flag = Tag.objects.create(organisation=salon, name="Flag")
    salon.customer_set.get(external_id="ann").tags.add(flag)
    salon.customer_set.get(external_id="dan").tags.add(flag)
    segment_id = post(api, "/api/segments", {"name": "Women", "rules": WOMEN}).json()["id"]
    response = post(api, f"/api/segments/{segment_id}/tag", {"tag": "Flag"})
    assert response.json() == {
        "members": 3,
        "already_tagged": 1,
        "newly_tagged": 2,
        "total_tagged": 4,
    }
    again = post(api, f"/api/segments/{segment_id}/tag", {"tag": "Flag"}).json()
    assert again == {"members": 3, "already_tagged": 3, "newly_tagged": 0, "total_tagged": 4}
    assert post(other_api, f"/api/segments/{segment_id}/tag", {"tag": "Flag"}).status_code == 404


def test_view_for_an_event_leaves_out_ticket_holders(api, other_api, salon):
    hamlet = event(salon, "Hamlet", moment(salon, "2026-06-01 19:30"), external_id="H1")
    ann = salon.customer_set.get(external_id="ann")
    ticket_order(ann, moment(salon, "2026-05-01 10:00"), [(hamlet, 2, 30000)])
    segment_id = post(api, "/api/segments", {"name": "Women", "rules": WOMEN}).json()["id"]
    response = post(
        api,
        "/api/segments/views",
        {
            "segment_id": segment_id,
            "name": "Women without Hamlet tickets",
            "event": "H1",
            "filters": {"match": "all", "criteria": [{"type": "consent", "channel": "email"}]},
        },
    )
    assert response.status_code == 201
    view_id = response.json()["id"]
    members = api.get(f"/api/segments/views/{view_id}/members").json()
    assert [m["external_id"] for m in members["results"]] == ["bea", "cleo"]
    by_production = post(
        api,
        "/api/segments/views",
        {"segment_id": segment_id, "name": "No Hamlet", "production": "Hamlet"},
    ).json()
    members = api.get(f"/api/segments/views/{by_production['id']}/members").json()
    assert members["count"] == 2
    assert (
        post(
            api, "/api/segments/views", {"segment_id": segment_id, "name": "x", "event": "nope"}
        ).status_code
        == 422
    )
    assert other_api.get(f"/api/segments/views/{view_id}").status_code == 404
    assert (
        post(other_api, "/api/segments/views", {"segment_id": segment_id, "name": "x"}).status_code
        == 404
    )
    assert api.delete(f"/api/segments/views/{view_id}").status_code == 204
    assert [v["id"] for v in api.get("/api/segments/views?removed=true").json()] == [view_id]
    api.post(f"/api/segments/views/{view_id}/restore")
    assert len(api.get("/api/segments/views").json()) == 2


def test_full_export_reads_back_unchanged(org, other_org, tmp_path):
    header = (
        "external_id,first_name,last_name,email,mobile,gender,birth_date,address,postcode,"
        "city,country,latitude,longitude,created_at,groups,tags,member,email_consent,"
        "sms_consent,permissions,language"
    )
    rows = [
        "a1,Ann,Berg,ann@example.com,+4512345678,female,1992-02-29,Street 1,8000,Aarhus,DK,"
        "56.15,10.2,2024-05-01T10:00:00+02:00,VIP;Staff,Flag,true,true,false,Photos,da",
        "b2,Bo,Holm,,,male,,,,,,,,2023-01-01T08:00:00+01:00,,,false,false,false,,",
    ]
    source = read_table(io.BytesIO(("\n".join([header, *rows]) + "\n").encode()), "c.csv")
    first = import_rows(organisation=org, kind="customers", rows=source)
    assert (first.created, first.errors) == (2, [])
    segment = create_segment(
        organisation=org,
        name="All",
        rules={
            "match": "any",
            "criteria": [{"type": "member"}, {"type": "member", "opposite": True}],
        },
    )
    for file_format in ("csv", "xlsx"):
        content = export_members(segment_members(segment), file_format, full=True)
        again = import_rows(
            organisation=org,
            kind="customers",
            rows=read_table(io.BytesIO(content), f"export.{file_format}"),
        )
        assert (again.errors, again.created, again.updated, again.unchanged) == ([], 0, 0, 2)
