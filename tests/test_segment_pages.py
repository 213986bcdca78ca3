"""Segment pages: builder counts, save, list, remove/restore, export, tag; roles; tenants."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from regulars.customers.models import Tag
from regulars.segments.actions import create_segment
from regulars.segments.models import SavedSegment
from tests.conftest import PASSWORD
from tests.segment_support import customer

WOMEN = {"match": "all", "criteria": [{"type": "gender", "values": ["female"]}]}


def login(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def salon(org, other_org):
    customer(
        org,
        external_id="ann",
        first_name="Ann",
        gender="female",
        email="a@example.com",
        email_consent=True,
    )
    customer(org, external_id="bea", first_name="Bea", gender="female")
    customer(org, external_id="dan", first_name="Dan", gender="male")
    customer(other_org, external_id="zoe", first_name="Zoe", gender="female")
    return org


def count(client, rules):
    return client.post(
        reverse("web:segment_count"), json.dumps(rules), content_type="application/json"
    )


def test_builder_counts_live(alice, salon):
    client = login(alice)
    assert client.get(reverse("web:segment_new")).status_code == 200
    data = count(client, WOMEN).json()
    assert (data["total"], data["email"], data["sms"]) == (2, 1, 0)
    assert data["criteria"] == [{"type": "gender", "count": 2}]
    assert [m["external_id"] for m in data["members"]] == ["ann", "bea"]
    bad = count(client, {"match": "all", "criteria": [{"type": "gender"}]})
    assert bad.status_code == 422
    assert bad.json() == {"error": "criteria[0].values: missing"}


def test_save_list_remove_restore(alice, salon):
    client = login(alice)
    response = client.post(
        reverse("web:segment_save"), {"name": "Women", "rules": json.dumps(WOMEN)}
    )
    segment = SavedSegment.objects.get(organisation=salon)
    assert response.url == reverse("web:segment", args=[segment.pk])
    assert "Women" in client.get(reverse("web:segments")).content.decode()
    client.post(reverse("web:segment_remove", args=[segment.pk]))
    segment.refresh_from_db()
    assert segment.is_removed
    client.post(reverse("web:segment_restore", args=[segment.pk]))
    segment.refresh_from_db()
    assert not segment.is_removed
    bad = client.post(reverse("web:segment_save"), {"name": "X", "rules": "{}"})
    assert bad.status_code == 302
    assert SavedSegment.objects.count() == 1


@pytest.mark.parametrize(
    ("back", "returns_to"),
    [
        ("/segments/7/?x=1", "/segments/7/?x=1"),
        ("https://elsewhere.example/", "/segments/new/"),
        ("//elsewhere.example/", "/segments/new/"),
        ("web:segments", "/segments/new/"),  # never looked up as a view name
    ],
)
def test_a_refused_save_returns_only_to_this_site(alice, salon, back, returns_to):
    client = login(alice)
    refused = client.post(reverse("web:segment_save"), {"name": "X", "rules": "{}", "back": back})
    assert (refused.status_code, refused.url) == (302, returns_to)


def test_export_and_tag(alice, salon):
    segment = create_segment(organisation=salon, name="Women", rules=WOMEN)
    client = login(alice)
    csv_text = client.get(reverse("web:segment_export", args=[segment.pk])).content.decode()
    assert csv_text.splitlines()[1:] == ["ann,Ann,,a@example.com,", "bea,Bea,,,"]
    response = client.post(
        reverse("web:segment_tag", args=[segment.pk]), {"tag": "Spring"}, follow=True
    )
    assert "Tagged 2 customers: 0 already had the tag, 2 customers carry it now." in (
        response.content.decode()
    )
    assert Tag.objects.get(organisation=salon, name="Spring").customers.count() == 2


def test_roles_and_tenants(alice, victor, carol, bob, salon):
    segment = create_segment(organisation=salon, name="Women", rules=WOMEN)
    viewer = login(victor)
    assert viewer.get(reverse("web:segment", args=[segment.pk])).status_code == 200
    assert count(viewer, WOMEN).status_code == 403
    read = viewer.get(reverse("web:segment_count"), {"rules": json.dumps(WOMEN)})
    assert read.json()["total"] == 2
    assert viewer.post(reverse("web:segment_remove", args=[segment.pk])).status_code == 403
    assert login(carol).get(reverse("web:segments")).status_code == 403
    other = login(bob)
    assert other.get(reverse("web:segment", args=[segment.pk])).status_code == 404
    assert other.post(reverse("web:segment_remove", args=[segment.pk])).status_code == 404
    assert count(other, WOMEN).json()["total"] == 1
    assert "Women" not in other.get(reverse("web:segments")).content.decode()


def test_views_show_for_event_export_remove_restore(alice, bob, salon, other_org):
    from regulars.segments.models import SavedView
    from tests.segment_support import event, moment, ticket_order

    segment = create_segment(organisation=salon, name="Women", rules=WOMEN)
    hamlet = event(salon, "Hamlet", moment(salon, "2026-06-01 19:30"))
    ticket_order(
        salon.customer_set.get(external_id="ann"),
        moment(salon, "2026-05-01 10:00"),
        [(hamlet, 1, 1000)],
    )
    foreign = event(other_org, "Hamlet", moment(other_org, "2026-06-01 19:30"))
    client = login(alice)
    url = reverse("web:segment_view_create", args=[segment.pk])
    assert client.post(url, {"name": "x", "show_for": f"event:{foreign.pk}"}).status_code == 404
    client.post(url, {"name": "Hamlet mailing", "show_for": f"event:{hamlet.pk}"})
    view = SavedView.objects.get(segment=segment)
    page = client.get(reverse("web:segment", args=[segment.pk])).content.decode()
    assert "Hamlet mailing" in page
    assert "1 customer" in page
    export = client.get(reverse("web:segment_view_export", args=[view.pk])).content.decode()
    assert [line.split(",")[0] for line in export.splitlines()] == ["external_id", "bea"]
    client.post(reverse("web:segment_view_remove", args=[view.pk]))
    view.refresh_from_db()
    assert view.is_removed
    client.post(reverse("web:segment_view_remove", args=[view.pk]))
    view.refresh_from_db()
    assert not view.is_removed
    assert login(bob).get(reverse("web:segment_view_export", args=[view.pk])).status_code == 404
