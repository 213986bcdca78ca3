"""Sales import (SPEC 9.2): receipts by receipt_id, lines replaced on re-import."""

import datetime
import io
import zoneinfo

from django.utils import timezone

from regulars.commerce.models import Item, ItemGroup, Sale, SaleLine
from regulars.customers.models import Customer
from regulars.imports.actions import import_file

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
HEADER = (
    "receipt_id,customer_external_id,sold_at,channel,item_number,item_name,item_group,"
    "quantity,unit_price,discount,amount\n"
)
SALES = HEADER + (
    'R1,C1,2026-03-01 10:15,pos,100,Shampoo,Hair care,2,"129,50",10.00,\n'
    'R1,C1,2026-03-01 10:15,pos,100,Shampoo,Hair care,2,"129,50",10.00,\n'
    "R1,C1,2026-03-01 10:15,pos,200,Haircut,Services,1,450,,400\n"
    "R2,,2026-03-02T09:00:00+00:00,adhoc,100,,,1,129.50,,\n"
)


def _import(org, text, dry_run=False):
    return import_file(
        organisation=org,
        kind="sales",
        file=io.BytesIO(text.encode()),
        filename="sales.csv",
        dry_run=dry_run,
    )


def _customer(org, external_id):
    return Customer.objects.create(
        organisation=org, external_id=external_id, created_at=timezone.now()
    )


def test_sales_become_receipts_with_denormalised_lines(org, other_org):
    anna = _customer(org, "C1")
    _customer(other_org, "C1")

    report = _import(org, SALES)

    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated) == (4, 2, 0)
    r1 = Sale.objects.get(organisation=org, receipt_id="R1")
    assert (r1.customer, r1.channel) == (anna, "pos")
    assert r1.sold_at == datetime.datetime(2026, 3, 1, 10, 15, tzinfo=CPH)
    lines = list(
        r1.lines.values_list(
            "line_number",
            "item__number",
            "quantity",
            "unit_price_cents",
            "discount_cents",
            "amount_cents",
            "customer_id",
            "channel",
            "item_group__name",
            "sold_at",
        )
    )
    assert lines == [
        (1, "100", 2, 12950, 1000, 24900, anna.pk, "pos", "Hair care", r1.sold_at),
        (2, "100", 2, 12950, 1000, 24900, anna.pk, "pos", "Hair care", r1.sold_at),
        (3, "200", 1, 45000, 0, 40000, anna.pk, "pos", "Services", r1.sold_at),
    ]
    r2 = Sale.objects.get(receipt_id="R2")
    assert (r2.customer_id, r2.lines.get().amount_cents) == (None, 12950)
    assert sorted(Item.objects.filter(organisation=org).values_list("number", "name")) == [
        ("100", "Shampoo"),
        ("200", "Haircut"),
    ]
    assert Sale.objects.filter(organisation=other_org).count() == 0


def test_reimport_replaces_the_lines_of_a_receipt(org):
    _customer(org, "C1")
    _import(org, SALES)
    report = _import(org, HEADER + "R1,C1,2026-03-01 10:15,pos,300,Comb,Hair care,1,25,,\n")
    assert (report.created, report.updated) == (0, 1)
    assert list(
        SaleLine.objects.filter(sale__receipt_id="R1").values_list("item__number", flat=True)
    ) == ["300"]
    assert SaleLine.objects.count() == 2
    _import(org, SALES)
    _import(org, SALES)
    assert (Sale.objects.count(), SaleLine.objects.count()) == (2, 4)


def test_a_receipt_split_over_chunks_keeps_all_its_lines(org):
    from regulars.imports.actions import import_rows

    rows = [
        {
            "receipt_id": "R9",
            "sold_at": "2026-01-01T12:00",
            "channel": "pos",
            "item_number": str(n % 3),
            "quantity": "1",
            "unit_price": "10",
        }
        for n in range(7)
    ]
    report = import_rows(organisation=org, kind="sales", rows=rows, chunk_rows=3)
    assert (report.created, report.updated) == (1, 0)
    assert list(SaleLine.objects.values_list("line_number", flat=True)) == [1, 2, 3, 4, 5, 6, 7]


def test_moving_an_item_to_another_group_moves_its_stored_lines(org):
    _customer(org, "C1")
    _import(org, SALES)
    _import(org, HEADER + "R3,,2026-03-05 10:00,pos,100,Shampoo,Retail,1,129.50,,\n")
    retail = ItemGroup.objects.get(name="Retail")
    assert SaleLine.objects.filter(item__number="100").exclude(item_group=retail).count() == 0
    assert SaleLine.objects.filter(item_group=retail).count() == 4


def test_bad_sales_rows_are_all_reported_and_nothing_is_written(org):
    _customer(org, "C1")
    report = _import(
        org,
        HEADER
        + "R1,C1,2026-03-01 10:15,pos,100,Shampoo,,1,10,,\n"
        + "R2,C404,2026-03-01 10:15,pos,100,,,1,10,,\n"
        + "R3,,yesterday,shop,100,,,one,1.234,,\n"
        + "R4,,2026-03-01,pos,,,,1,,,\n",
    )
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (4, "sold_at", "not an ISO-8601 date and time: 'yesterday'"),
        (4, "channel", "'shop' is not one of pos, adhoc"),
        (4, "quantity", "not a whole number: 'one'"),
        (4, "unit_price", "not an amount with at most two decimals: '1.234'"),
        (5, "item_number", "required"),
        (5, "unit_price", "required"),
        (3, "customer_external_id", "no customer 'C404'"),
    ]
    assert report.failed == 3
    assert (Sale.objects.count(), Item.objects.count()) == (0, 0)


def test_missing_required_columns_are_named(org):
    report = _import(org, "receipt_id,sold_at,item_number\nR1,2026-01-01,1\n")
    assert [(e.line, e.column) for e in report.errors] == [
        (1, "channel"),
        (1, "quantity"),
        (1, "unit_price"),
    ]
