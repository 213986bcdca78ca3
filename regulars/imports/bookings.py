"""Booking and individual rows (SPEC 9.2): each identified by its own id, updated on
re-import; the same id twice in one file is an error."""

from django.utils.translation import gettext_noop

from regulars.commerce.actions import BookingData, save_bookings
from regulars.commerce.models import BookingStatus
from regulars.customers.actions import IndividualData, save_individuals

from .base import Importer, OwnedRow
from .cells import parse_choice, parse_datetime, parse_json_object, parse_text
from .report import Row


class OwnedImporter(Importer[OwnedRow]):
    def resolve(self, chunk: list[OwnedRow]) -> None:
        self.match_customers(chunk)

    def count(self, counts) -> None:
        self.report.created += counts.created
        self.report.updated += counts.updated
        self.report.unchanged += counts.unchanged


class BookingImporter(OwnedImporter):
    kind = "bookings"
    id_column = "booking_id"
    required_columns = ("booking_id", "customer_external_id", "service", "start", "status")

    def parse(self, row: Row) -> OwnedRow | None:
        booking_id = row.value("booking_id", parse_text, 100, required=True)
        customer = row.value("customer_external_id", parse_text, 100, required=True)
        service = row.value("service", parse_text, 200, required=True)
        start = row.value("start", parse_datetime, self.tz, required=True)
        end = row.value("end", parse_datetime, self.tz) or start
        status = row.value("status", parse_choice, BookingStatus.values, required=True)
        if start and end and end < start:
            row.error("end", gettext_noop("ends before it starts"))
        if booking_id:
            self.check_unique(row, booking_id, "booking_id")
        if not row.ok:
            return None
        assert booking_id and customer and service and start and end and status
        return OwnedRow(row.line, customer, BookingData(booking_id, 0, service, start, end, status))

    def write(self, chunk: list[OwnedRow]) -> None:
        bookings = [item.data for item in chunk]
        self.count(save_bookings(organisation=self.organisation, bookings=bookings))


class IndividualImporter(OwnedImporter):
    kind = "individuals"
    id_column = "individual_id"
    required_columns = ("individual_id", "customer_external_id", "kind")

    def parse(self, row: Row) -> OwnedRow | None:
        individual_id = row.value("individual_id", parse_text, 100, required=True)
        customer = row.value("customer_external_id", parse_text, 100, required=True)
        kind = row.value("kind", parse_text, 50, required=True)
        attributes = row.value("attributes", parse_json_object) or {}
        if individual_id:
            self.check_unique(row, individual_id, "individual_id")
        if not row.ok:
            return None
        assert individual_id and customer and kind
        data = IndividualData(individual_id, 0, kind, attributes)
        return OwnedRow(row.line, customer, data)

    def write(self, chunk: list[OwnedRow]) -> None:
        individuals = [item.data for item in chunk]
        self.count(save_individuals(organisation=self.organisation, individuals=individuals))
