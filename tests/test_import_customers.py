"""Customer import (DATA-5, SPEC 9.2): create or update, validation, consents, tenants."""

import datetime
import io
import zoneinfo

import pytest

from regulars.customers.models import ConsentRecord, Customer, CustomerGroup, Tag
from regulars.imports.actions import import_file, import_rows

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")


def _import(org, csv_text: str, dry_run=False):
    return import_file(
        organisation=org,
        kind="customers",
        file=io.BytesIO(csv_text.encode()),
        filename="customers.csv",
        dry_run=dry_run,
    )


GOOD = (
    "external_id,first_name,last_name,email,mobile,gender,birth_date,postcode,created_at,"
    "groups,tags,member,email_consent,sms_consent,permissions\n"
    "C1,Anna,Hansen,Anna@Example.COM,20 12 34 56,female,1990-02-28,2100,2024-03-01T10:00:00,"
    "VIP;Stamkunde,hair,true,true,false,photos\n"
    "C2,Bo,Berg,bo@example.com,+47 41234567,male,,DK-2100,,,,false,false,true,\n"
)


def test_import_creates_customers_with_normalised_values(org, other_org):
    Customer.objects.create(
        organisation=other_org, external_id="C1", created_at=datetime.datetime.now(CPH)
    )

    report = _import(org, GOOD)

    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.failed) == (2, 2, 0, 0)
    anna = Customer.objects.get(organisation=org, external_id="C1")
    assert (anna.first_name, anna.email, anna.mobile, anna.gender) == (
        "Anna",
        "anna@example.com",
        "+4520123456",
        "female",
    )
    assert anna.birth_date == datetime.date(1990, 2, 28)
    assert anna.birth_monthday == 228
    assert anna.postcode_number == 2100
    assert anna.created_at == datetime.datetime(2024, 3, 1, 10, tzinfo=CPH)
    assert sorted(anna.groups.values_list("name", flat=True)) == ["Stamkunde", "VIP"]
    assert list(anna.tags.values_list("name", flat=True)) == ["hair"]
    assert anna.member is True
    assert (anna.email_consent, anna.sms_consent) == (True, False)
    assert list(anna.permissions.values_list("name", flat=True)) == ["photos"]
    records = ConsentRecord.objects.filter(customer=anna).order_by("kind")
    assert [(r.kind, r.granted, r.source) for r in records] == [
        ("email", True, "import"),
        ("permission", True, "import"),
    ]
    bo = Customer.objects.get(organisation=org, external_id="C2")
    assert (bo.mobile, bo.gender, bo.birth_date, bo.birth_monthday) == (
        "+4741234567",
        "male",
        None,
        None,
    )
    assert (bo.postcode, bo.postcode_number) == ("DK-2100", None)
    assert (bo.email_consent, bo.sms_consent) == (False, True)
    # The other organisation's C1 is untouched and its names are not shared.
    assert Customer.objects.filter(organisation=other_org).get().first_name == ""
    assert CustomerGroup.objects.filter(organisation=other_org).count() == 0
    assert Customer.objects.filter(organisation=org).count() == 2


def test_reimport_changes_nothing_and_never_duplicates(org):
    _import(org, GOOD)
    updated_at = dict(Customer.objects.values_list("external_id", "updated_at"))

    report = _import(org, GOOD)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert Customer.objects.count() == 2
    assert ConsentRecord.objects.count() == 3
    assert CustomerGroup.objects.count() == 2
    assert dict(Customer.objects.values_list("external_id", "updated_at")) == updated_at


def test_reimport_updates_and_records_only_changed_consents(org):
    _import(org, GOOD)
    report = _import(
        org,
        "external_id,last_name,email_consent,sms_consent,groups,permissions\n"
        "C1,Hansen-Berg,false,false,VIP,\n"
        "C2,,false,true,,\n",
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    anna = Customer.objects.get(external_id="C1")
    assert (anna.first_name, anna.last_name, anna.email_consent) == ("Anna", "Hansen-Berg", False)
    assert list(anna.groups.values_list("name", flat=True)) == ["VIP"]
    # An empty permissions cell is unknown: the photo permission stays.
    assert list(anna.permissions.values_list("name", flat=True)) == ["photos"]
    email = ConsentRecord.objects.filter(customer=anna, kind="email").order_by("id")
    assert [r.granted for r in email] == [True, False]
    assert ConsentRecord.objects.count() == 4


def test_permission_withdrawn_by_import_is_recorded(org):
    _import(org, GOOD)
    _import(org, "external_id,permissions\nC1,newsletter\n")
    anna = Customer.objects.get(external_id="C1")
    assert list(anna.permissions.values_list("name", flat=True)) == ["newsletter"]
    records = ConsentRecord.objects.filter(customer=anna, kind="permission").order_by("id")
    assert [(r.permission.name, r.granted) for r in records] == [
        ("photos", True),
        ("photos", False),
        ("newsletter", True),
    ]


def test_without_external_id_the_email_identifies_the_customer(org):
    _import(org, "email,first_name\nanna@example.com,Anna\n")
    report = _import(org, "external_id,email,first_name\n,ANNA@example.com,Anne\n")
    assert (report.created, report.updated) == (0, 1)
    assert list(Customer.objects.values_list("first_name", "email")) == [
        ("Anne", "anna@example.com")
    ]


def test_every_bad_row_is_reported_and_nothing_is_written(org):
    report = _import(
        org,
        "external_id,email,birth_date,gender,mobile,created_at,member\n"
        "C1,anna@example.com,1990-01-01,female,,,\n"
        "C2,not-an-email,1990-13-01,,,,\n"
        "C3,c3@example.com,,robot,,,\n"
        "C1,dup@example.com,,,,,\n"
        "C5,,,,abc,yesterday,perhaps\n"
        ",,,,,,\n"
        ",,,,,,true\n",
    )
    assert not report.ok
    assert [(e.line, e.column) for e in report.errors] == [
        (3, "email"),
        (3, "birth_date"),
        (4, "gender"),
        (5, "external_id"),
        (6, "mobile"),
        (6, "created_at"),
        (6, "member"),
        (8, "external_id"),
    ]
    assert report.errors[3].reason == "the same external_id as line 2"
    assert report.errors[0].reason == "not a valid e-mail address: 'not-an-email'"
    assert report.failed == 5
    assert (report.created, report.updated) == (0, 0)
    assert Customer.objects.count() == 0


def test_missing_identifying_column_is_reported_on_the_header_line(org):
    report = _import(org, "first_name,last_name\nAnna,Hansen\n")
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (1, "external_id", "missing required column")
    ]


def test_dry_run_counts_but_writes_nothing(org):
    report = _import(org, GOOD, dry_run=True)
    assert report.ok
    assert (report.created, report.updated) == (2, 0)
    assert Customer.objects.count() == 0
    assert Tag.objects.count() == 0
    assert "would be created 2" in report.summary()


def test_naive_time_in_the_repeated_dst_hour_is_the_first_occurrence(org):
    _import(org, "external_id,created_at\nC1,2026-10-25T02:30:00\nC2,2026-10-25T02:30:00+01:00\n")
    first = Customer.objects.get(external_id="C1").created_at
    second = Customer.objects.get(external_id="C2").created_at
    assert first == datetime.datetime(2026, 10, 25, 0, 30, tzinfo=datetime.UTC)
    assert second - first == datetime.timedelta(hours=1)


def test_rows_from_the_api_shape_are_imported_in_chunks(org):
    rows = [{"external_id": f"K{n}", "first_name": f"Kunde {n}"} for n in range(25)]
    report = import_rows(organisation=org, kind="customers", rows=rows, chunk_rows=10)
    assert (report.created, report.rows) == (25, 25)
    rows[24]["email"] = "broken"
    rows.append({"external_id": "K0"})
    report = import_rows(organisation=org, kind="customers", rows=rows, chunk_rows=10)
    assert [(e.line, e.column) for e in report.errors] == [(26, "email"), (27, "external_id")]
    assert Customer.objects.filter(first_name__startswith="Kunde").count() == 25


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("12", "not a possible phone number: '12'"),
        ("phone", "not a phone number: 'phone'"),
    ],
)
def test_bad_phone_numbers(org, cell, reason):
    report = _import(org, f"external_id,mobile\nC1,{cell}\n")
    assert [(e.line, e.column, e.reason) for e in report.errors] == [(2, "mobile", reason)]
