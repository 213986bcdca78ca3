"""The demo data generator: deterministic, consistent, confined to its organisation."""

import csv
import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F, Q
from django.test import Client
from django.utils import timezone

from regulars.commerce.models import Booking, Event, Sale, SaleLine, Ticket, TicketOrder
from regulars.customers.models import ConsentRecord, Customer, CustomerPermission, Individual
from regulars.demo.actions import DemoDataExists, generate_demo_data, suspend_indexes
from regulars.demo.examples import BIRTHDAYS, WELCOME_POINTS, WELCOMED, ensure_demo_examples
from regulars.demo.examples import SEGMENTS as EXAMPLE_SEGMENTS
from regulars.demo.export import HEADERS, export_demo_data
from regulars.demo.models import SuspendedIndex
from regulars.demo.sql import MODELS
from regulars.loyalty.models import Balance, LedgerEntry, Program
from regulars.loyalty.till import LineInput, quote_basket
from regulars.messaging.models import Campaign, Message
from regulars.orgs.models import Membership, Organisation
from regulars.segments.engine import compile_rules
from regulars.segments.models import SavedSegment
from tests.segment_reference import World

TODAY = datetime.date(2026, 3, 10)
N = 200


def _generate(organisation, seed=7):
    return generate_demo_data(organisation=organisation, customers=N, seed=seed, today=TODAY)


def _customer_rows(organisation):
    return list(
        Customer.objects.filter(organisation=organisation)
        .order_by("external_id")
        .values_list(
            "external_id", "first_name", "last_name", "email", "mobile", "gender", "birth_date",
            "postcode", "city", "latitude", "created_at", "member", "email_consent",
        )[:20]
    )  # fmt: skip


def _line_rows(organisation):
    return list(
        SaleLine.objects.filter(organisation=organisation)
        .order_by("sale__receipt_id", "line_number")
        .values_list(
            "sale__receipt_id", "line_number", "customer__external_id", "sold_at", "channel",
            "item__number", "quantity", "amount_cents",
        )[:50]
    )  # fmt: skip


def _counts(organisation):
    models = (Customer, Sale, SaleLine, Booking, TicketOrder, Ticket, Individual, ConsentRecord)
    return {m.__name__: m.objects.filter(organisation=organisation).count() for m in models}


def test_same_seed_gives_the_same_data_in_another_organisation(org, other_org):
    first = _generate(org)
    second = _generate(other_org)

    assert first.rows == second.rows
    assert first.rows["customer"] == N
    assert _counts(org) == _counts(other_org)
    assert _customer_rows(org) == _customer_rows(other_org)
    assert _line_rows(org) == _line_rows(other_org)


def test_another_seed_gives_other_customers(org):
    _generate(org, seed=7)
    _generate(org, seed=8)
    assert Customer.objects.filter(organisation=org).count() == 2 * N
    assert Customer.objects.filter(organisation=org, external_id__startswith="K8-").count() == N


def test_the_same_seed_twice_is_refused_and_changes_nothing(org):
    _generate(org)
    before = _counts(org)
    with pytest.raises(DemoDataExists):
        _generate(org)
    assert _counts(org) == before


def test_denormalised_fields_match_their_sale_order_and_event(org):
    _generate(org)
    lines = SaleLine.objects.filter(organisation=org)
    assert lines.count() > N  # heavy customers buy many lines
    assert not lines.exclude(
        customer_id=F("sale__customer_id"), sold_at=F("sale__sold_at"), channel=F("sale__channel")
    ).exists()
    assert not lines.exclude(item_group_id=F("item__group_id")).exists()
    assert not lines.exclude(
        amount_cents=F("quantity") * F("unit_price_cents") - F("discount_cents")
    ).exists()
    tickets = Ticket.objects.filter(organisation=org)
    assert tickets.exists()
    assert not tickets.exclude(
        customer_id=F("order__customer_id"),
        ordered_at=F("order__ordered_at"),
        channel=F("order__channel"),
        event_start=F("event__start"),
        production_id=F("event__production_id"),
    ).exists()
    assert not tickets.filter(event_start__lte=F("ordered_at")).exists()


def test_customers_are_complete_and_consistent(org):
    _generate(org)
    customers = Customer.objects.filter(organisation=org)
    for customer in customers:
        if customer.birth_date:
            expected = customer.birth_date.month * 100 + customer.birth_date.day
            assert customer.birth_monthday == expected
        else:
            assert customer.birth_monthday is None
        assert customer.postcode_number == int(customer.postcode)
        assert customer.mobile == "" or (
            customer.mobile.startswith("+45") and len(customer.mobile) == 11
        )
        assert customer.email_consent is False or customer.email
    assert customers.filter(birth_monthday=229).count() == 1  # customer 14 of every 397
    assert customers.filter(birth_date__isnull=True).exists()
    assert set(customers.values_list("gender", flat=True)) == {"female", "male", "unknown"}
    now = timezone.now()
    assert not Sale.objects.filter(organisation=org, sold_at__gte=now).exists()
    assert not TicketOrder.objects.filter(organisation=org, ordered_at__gte=now).exists()


def test_activity_covers_every_status_channel_and_is_skewed(org):
    _generate(org)
    bookings = Booking.objects.filter(organisation=org)
    assert set(bookings.values_list("status", flat=True)) == {
        "booked", "completed", "cancelled", "no_show",
    }  # fmt: skip
    assert not bookings.filter(status="booked", start__date__lte=TODAY).exists()
    assert set(Sale.objects.filter(organisation=org).values_list("channel", flat=True)) == {
        "pos", "adhoc",
    }  # fmt: skip
    assert set(TicketOrder.objects.filter(organisation=org).values_list("channel", flat=True)) == {
        "online", "boxoffice",
    }  # fmt: skip
    per_customer = _lines_per_customer(org)
    top_tenth = sum(per_customer[: N // 10])
    assert top_tenth > sum(per_customer) * 0.4  # a few regulars carry much of the trade


def _lines_per_customer(organisation):
    counts = {}
    for customer_id in SaleLine.objects.filter(organisation=organisation).values_list(
        "customer_id", flat=True
    ):
        counts[customer_id] = counts.get(customer_id, 0) + 1
    return sorted(counts.values(), reverse=True) + [0] * (N - len(counts))


def test_consents_have_proof_and_permissions_match(org):
    _generate(org)
    records = ConsentRecord.objects.filter(organisation=org)
    assert set(records.values_list("source", flat=True)) == {"demo"}
    assert (
        records.filter(kind="email").count()
        == Customer.objects.filter(organisation=org, email_consent=True).count()
    )
    assert (
        records.filter(kind="sms").count()
        == Customer.objects.filter(organisation=org, sms_consent=True).count()
    )
    assert (
        records.filter(kind="permission").count()
        == CustomerPermission.objects.filter(customer__organisation=org).count()
    )
    assert not records.exclude(recorded_at=F("customer__created_at")).exists()


def test_everything_stays_in_its_organisation(org, other_org):
    _generate(org)
    assert _counts(other_org) == dict.fromkeys(_counts(other_org), 0)
    assert not Event.objects.filter(organisation=other_org).exists()
    assert (
        not SaleLine.objects.filter(organisation=org)
        .exclude(sale__organisation=org, item__organisation=org, customer__organisation=org)
        .exists()
    )
    assert (
        not Ticket.objects.filter(organisation=org)
        .exclude(
            Q(event__organisation=org) & Q(order__organisation=org) & Q(customer__organisation=org)
        )
        .exists()
    )
    assert (
        not Customer.objects.filter(organisation=org)
        .exclude(groups__organisation=org)
        .filter(groups__isnull=False)
        .exists()
    )
    assert (
        not Individual.objects.filter(organisation=org).exclude(customer__organisation=org).exists()
    )


def test_individuals_are_cars_and_pets(org):
    _generate(org)
    kinds = set(Individual.objects.filter(organisation=org).values_list("kind", flat=True))
    assert kinds == {"car", "pet"}
    car = Individual.objects.filter(organisation=org, kind="car").first()
    assert set(car.attributes) == {"make", "model", "year", "registration"}


def test_cli_reports_unknown_organisation_with_status_2(db):
    with pytest.raises(CommandError, match="no organisation with slug 'nope'") as error:
        call_command("demo-data", "--org", "nope", "--customers", "5")
    assert error.value.returncode == 2


def test_cli_generates_into_the_organisation(org, capsys):
    call_command("demo-data", "--org", org.slug, "--customers", "30", "--today", "2026-03-10")
    assert Customer.objects.filter(organisation=org).count() == 30
    assert capsys.readouterr().out.startswith("customer 30, ")


def test_export_writes_import_files_matching_the_database_rows(org, tmp_path):
    summary = export_demo_data(directory=tmp_path, customers=N, seed=7, today=TODAY)
    _generate(org)
    for kind, header in HEADERS.items():
        with (tmp_path / f"{kind}.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert tuple(rows[0]) == header
        assert len(rows) == summary.rows[kind]
    assert summary.rows["customers"] == N
    assert summary.rows["sales"] == SaleLine.objects.filter(organisation=org).count()
    assert summary.rows["bookings"] == Booking.objects.filter(organisation=org).count()
    assert summary.rows["tickets"] == Ticket.objects.filter(organisation=org).count()
    with (tmp_path / "customers.csv").open(encoding="utf-8") as handle:
        first = next(csv.DictReader(handle))
    customer = Customer.objects.get(organisation=org, external_id=first["external_id"])
    assert (first["first_name"], first["last_name"], first["email"], first["postcode"]) == (
        customer.first_name, customer.last_name, customer.email, customer.postcode,
    )  # fmt: skip
    assert datetime.datetime.fromisoformat(first["created_at"]) == customer.created_at


def test_demo_command_twice_creates_one_demo_and_one_login(db, settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("demo", "--no-server", "--customers", "60")
    first = capsys.readouterr().out
    counts = _counts(Organisation.objects.get(slug="demo"))
    call_command("demo", "--no-server", "--customers", "60")
    second = capsys.readouterr().out

    demo = Organisation.objects.get(slug="demo")
    assert demo.name == "Salon & Scene Demo"
    assert _counts(demo) == counts
    assert counts["Customer"] == 60
    password = (tmp_path / "demo-password").read_text()
    assert f"Password  {password}" in first
    assert f"Password  {password}" in second
    assert "(already there)" in second
    assert Client().login(username="demo", password=password)
    assert Membership.objects.get(user__username="demo").role == "owner"


def _index_names():
    with connection.cursor() as cursor:
        return {
            name
            for model in MODELS.values()
            for name in connection.introspection.get_constraints(cursor, model._meta.db_table)
        }


def test_bulk_load_rebuilds_every_index_and_gives_the_same_rows(org, other_org):
    before = _index_names()
    generate_demo_data(organisation=org, customers=N, seed=7, today=TODAY, bulk=True)
    _generate(other_org)

    assert _index_names() == before
    assert not SuspendedIndex.objects.exists()
    assert _counts(org) == _counts(other_org)
    assert _line_rows(org) == _line_rows(other_org)


def test_an_interrupted_bulk_load_is_repaired_by_the_next_run(org):
    before = _index_names()
    suspend_indexes()
    assert SuspendedIndex.objects.count() > 10
    assert len(_index_names()) == len(before) - SuspendedIndex.objects.count()

    _generate(org)

    assert _index_names() == before
    assert not SuspendedIndex.objects.exists()


def test_cli_export_into_a_file_path_is_a_clear_error(db, tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("")
    with pytest.raises(CommandError, match="cannot write to") as error:
        call_command("demo-data", "--export-dir", str(blocker), "--customers", "5")
    assert error.value.returncode == 2


def test_demo_examples_are_made_once_and_work(org, other_org, django_capture_on_commit_callbacks):
    _generate(org)
    _generate(other_org)
    at = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=org.tz)
    with django_capture_on_commit_callbacks(execute=True):
        assert ensure_demo_examples(org) is True

    segments = SavedSegment.objects.filter(organisation=org).order_by("name")
    assert len(segments) == len(EXAMPLE_SEGMENTS)
    reference = World(org)
    for segment in segments:
        expected = reference.members(segment.rules, at)
        assert {c.pk for c in compile_rules(org, segment.rules, at)} == expected, segment.name
        assert expected, f"{segment.name} matches nobody in the demo data"
    campaign = Campaign.objects.get(organisation=org)
    assert (campaign.dispatch, campaign.rules) == ("email", BIRTHDAYS)

    program = Program.objects.get(organisation=org)
    assert program.active and program.earn_on_adhoc
    customer = Customer.objects.filter(organisation=org).order_by("id").first()
    quote = quote_basket(
        organisation=org,
        customer=customer,
        lines=[LineInput("1001"), LineInput("2101"), LineInput("2201")],
    )
    terms = [[(t.points_earned, t.point_price) for t in line.programs] for line in quote.lines]
    assert terms == [[(10, 100)], [(17, 179)], []]
    welcomed = Balance.objects.filter(program=program)
    assert welcomed.count() == min(
        WELCOMED, org.customergroup_set.get(name="Stamkunde").customers.count()
    )
    assert set(welcomed.values_list("points", flat=True)) == {WELCOME_POINTS}
    notified = Message.objects.filter(organisation=org, key__startswith="loyalty:entry:")
    assert notified.count() == welcomed.count()
    assert notified.filter(subject="Din pointsaldo er ændret").count() == welcomed.count()

    state = (SavedSegment.objects.count(), Campaign.objects.count(), LedgerEntry.objects.count())
    assert ensure_demo_examples(org) is False
    assert (
        SavedSegment.objects.count(),
        Campaign.objects.count(),
        LedgerEntry.objects.count(),
    ) == state
    for model in (SavedSegment, Campaign, Program, Message):
        assert not model.objects.filter(organisation=other_org).exists()
