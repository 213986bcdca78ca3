"""Customer export in the import format (DATA-5): importing an export changes nothing."""

import csv
import datetime
import io

import openpyxl
import pytest

from regulars.customers.models import ConsentRecord, Customer
from regulars.imports.actions import import_file, import_rows
from regulars.imports.export import EXPORT_COLUMNS, write_customers

ROWS = [
    {
        "external_id": "C1",
        "first_name": "Anna",
        "last_name": "=Hansen",
        "email": "anna@example.com",
        "mobile": "+4520123456",
        "gender": "female",
        "birth_date": "1990-02-28",
        "address": "Nørregade 1, 2. th",
        "postcode": "2100",
        "city": "København Ø",
        "country": "DK",
        "latitude": "55.7012345",
        "longitude": "12.5771234",
        "created_at": "2026-10-25T02:30:00",
        "groups": "VIP;Stamkunde",
        "tags": "hair",
        "member": "true",
        "email_consent": "true",
        "sms_consent": "false",
        "permissions": "photos",
        "language": "da",
    },
    {"mobile": "+4741234567", "first_name": "Bo"},
]


@pytest.fixture
def customers(org, other_org):
    assert import_rows(organisation=org, kind="customers", rows=ROWS).created == 2
    import_rows(
        organisation=other_org, kind="customers", rows=[{"external_id": "X", "first_name": "Ola"}]
    )
    nameless = Customer.objects.create(
        organisation=org, created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    return Customer.objects.filter(organisation=org), nameless


def test_csv_export_has_every_import_column(customers):
    queryset, nameless = customers
    text = write_customers(queryset, "csv").getvalue()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert EXPORT_COLUMNS[0] == "external_id"
    assert [row["first_name"] for row in rows] == ["Anna", "Bo", ""]
    anna = rows[0]
    assert {key: anna[key] for key in ("groups", "created_at", "member", "mobile", "postcode")} == {
        "groups": "Stamkunde;VIP",
        "created_at": "2026-10-25T02:30:00+02:00",
        "member": "true",
        "mobile": "+4520123456",
        "postcode": "2100",
    }
    assert rows[2]["id"] == str(nameless.pk)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_reimporting_an_export_changes_nothing(customers, org, fmt):
    queryset, _ = customers
    before = list(queryset.order_by("pk").values())
    records = ConsentRecord.objects.count()
    out = write_customers(queryset, fmt)
    data = out.getvalue().encode() if fmt == "csv" else out.getvalue()

    report = import_file(
        organisation=org, kind="customers", file=io.BytesIO(data), filename=f"export.{fmt}"
    )

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert list(queryset.order_by("pk").values()) == before
    assert ConsentRecord.objects.count() == records


def test_xlsx_keeps_text_that_looks_like_a_formula(customers):
    queryset, _ = customers
    sheet = openpyxl.load_workbook(write_customers(queryset, "xlsx")).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("last_name") + 1).value == "=Hansen"
    assert sheet.max_row == 4


def test_an_edited_export_updates_in_bulk(customers, org):
    queryset, nameless = customers
    rows = list(csv.DictReader(io.StringIO(write_customers(queryset, "csv").getvalue())))
    rows[2]["first_name"] = "Nameless no more"
    rows[1]["tags"] = "vip"
    report = import_rows(organisation=org, kind="customers", rows=rows)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    nameless.refresh_from_db()
    assert nameless.first_name == "Nameless no more"
    assert Customer.objects.filter(organisation=org).count() == 3
