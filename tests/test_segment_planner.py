"""SQLite's planner statistics are gathered when missing and again when a table has grown;
the indexes and SQL shapes the segment counts rely on on each engine."""

import pytest
from django.db import connection
from django.utils import timezone

from regulars.commerce.models import ItemGroup
from regulars.customers.models import Customer
from regulars.messaging.worker import registered
from regulars.segments.engine import compile_rules
from regulars.segments.planner import refresh_planner_statistics


def _add_customers(organisation, count):
    now = timezone.now()
    Customer.objects.bulk_create(
        Customer(organisation=organisation, created_at=now) for _ in range(count)
    )


def test_the_worker_runs_it_every_hour():
    assert registered()["segments.planner_statistics"].every_seconds == 3600


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's autovacuum analyses")
def test_missing_or_stale_statistics_are_gathered_once(org, other_org):
    _add_customers(org, 1500)
    _add_customers(other_org, 10)

    assert "customers_customer" in refresh_planner_statistics()
    assert refresh_planner_statistics() == []

    _add_customers(org, 2000)
    assert refresh_planner_statistics() == ["customers_customer"]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="PostgreSQL only")
def test_postgresql_is_left_to_autovacuum(org):
    _add_customers(org, 1500)
    assert refresh_planner_statistics() == []


@pytest.mark.django_db
def test_the_customer_indexes_made_by_hand_survive_later_migrations():
    """A migration that rebuilds the customer table on SQLite keeps only the model's own
    indexes; segments 0010 makes the others again."""
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "customers_customer")
    made_by_hand = {
        "segments_customer_live_idx",
        "segments_customer_position_idx",
        "segments_customer_profile_idx",
    }
    assert made_by_hand <= set(indexes)
    assert indexes["segments_customer_live_idx"]["columns"][-2:] == [
        "email_reachable",
        "sms_reachable",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("table", "index", "columns"),
    [
        ("customers_customer_tags", "segments_tagging_idx", ["tag_id", "customer_id"]),
        ("customers_customer_groups", "segments_grouping_idx", ["customergroup_id", "customer_id"]),
        ("customers_customerpermission", "segments_grant_idx", ["permission_id", "customer_id"]),
    ],
)
def test_tag_group_and_permission_members_come_from_one_index(table, index, columns):
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, table)
    assert indexes[index]["columns"] == columns


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only (segments 0012)")
def test_sqlite_looks_customers_up_by_id_in_a_narrow_index():
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "customers_customer")
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT member, sms_consent FROM customers_customer "
            "INDEXED BY segments_customer_probe_idx WHERE id = 1 AND erased_at IS NULL"
        )
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert indexes["segments_customer_probe_idx"]["columns"][:3] == [
        "id",
        "organisation_id",
        "erased_at",
    ]
    assert "COVERING INDEX segments_customer_probe_idx" in plan


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only (segments 0013)")
def test_postgresql_keeps_live_customers_in_an_index_without_nulls():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'segments_customer_live_idx'"
        )
        [definition] = cursor.fetchone()
    assert definition.endswith("WHERE (erased_at IS NULL)")
    assert "erased_at," not in definition


@pytest.mark.django_db
def test_sqlite_gets_the_ids_of_an_in_list_sorted_and_postgresql_as_they_come(org):
    ItemGroup.objects.create(organisation=org, name="Hair")
    rules = {"match": "all", "criteria": [{"type": "bought_item_group", "groups": ["Hair"]}]}
    sql, _params = compile_rules(org, rules).order_by().values("pk").query.sql_with_params()
    assert ("ORDER BY 1" in sql) == (connection.vendor == "sqlite")


@pytest.mark.django_db
def test_postgresql_gets_the_ids_of_per_customer_totals_sorted_and_sqlite_as_grouped(org):
    ItemGroup.objects.create(organisation=org, name="Hair")
    rules = {
        "match": "all",
        "criteria": [
            {"type": "revenue", "min": 500, "item_group": "Hair", "period": {"last_days": 90}}
        ],
    }
    sql, _params = compile_rules(org, rules).order_by().values("pk").query.sql_with_params()
    assert "GROUP BY" in sql
    assert ("ORDER BY 1" in sql) == (connection.vendor == "postgresql")
