"""Customer rows (SPEC 9.2): create or update by external_id, else by e-mail, else mobile.

An export of Regulars also carries `id` (our own customer id), which wins over the rest so
that an exported list can be edited and imported back. An empty cell is unknown: it
leaves what is stored as it is.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop

from regulars.customers.actions import CustomerChanges, upsert_customers
from regulars.customers.models import Customer, Gender

from .base import Importer
from .cells import (
    CellError,
    parse_bool,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_email,
    parse_float,
    parse_int,
    parse_names,
    parse_phone,
    parse_text,
)
from .report import Row

CUSTOMER_COLUMNS = (
    "external_id",
    "first_name",
    "last_name",
    "email",
    "mobile",
    "gender",
    "birth_date",
    "address",
    "postcode",
    "city",
    "country",
    "latitude",
    "longitude",
    "created_at",
    "groups",
    "tags",
    "member",
    "email_consent",
    "sms_consent",
    "permissions",
    "language",
)
TEXT_COLUMNS = {
    "external_id": 100,
    "first_name": 100,
    "last_name": 100,
    "address": 200,
    "postcode": 20,
    "city": 100,
    "language": 8,
}
IDENTITY_COLUMNS = ("id", "external_id", "email", "mobile")


@dataclass
class CustomerRow:
    line: int
    identity: tuple[str, Any]  # the column that identifies the customer, and its value
    changes: CustomerChanges


def parse_country(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise CellError(gettext_noop("not a two-letter country code: %(value)s"), value=repr(text))
    return code


def parse_name_list(text: str) -> list[str]:
    names = parse_names(text)
    for name in names:
        if len(name) > 100:
            raise CellError(
                gettext_noop("name longer than 100 characters: %(value)s…"), value=repr(name[:20])
            )
    return names


class CustomerImporter(Importer[CustomerRow]):
    kind = "customers"
    id_column = "external_id"
    required_columns = ()

    def missing_columns(self, columns):
        if set(IDENTITY_COLUMNS) & set(columns):
            return []
        return ["external_id"]

    def parse(self, row: Row) -> CustomerRow | None:
        fields: dict[str, Any] = {}
        for column, max_length in TEXT_COLUMNS.items():
            fields[column] = row.value(column, parse_text, max_length)
        fields["email"] = row.value("email", parse_email)
        fields["mobile"] = row.value("mobile", parse_phone, self.organisation.country)
        fields["gender"] = row.value("gender", parse_choice, Gender.values)
        fields["birth_date"] = row.value("birth_date", parse_date)
        fields["country"] = row.value("country", parse_country)
        fields["latitude"] = row.value("latitude", parse_float, -90, 90)
        fields["longitude"] = row.value("longitude", parse_float, -180, 180)
        fields["created_at"] = row.value("created_at", parse_datetime, self.tz)
        fields["member"] = row.value("member", parse_bool)
        changes = CustomerChanges(
            customer=None,
            fields={name: value for name, value in fields.items() if value is not None},
            groups=row.value("groups", parse_name_list),
            tags=row.value("tags", parse_name_list),
            permissions=row.value("permissions", parse_name_list),
            email_consent=row.value("email_consent", parse_bool),
            sms_consent=row.value("sms_consent", parse_bool),
        )
        customer_id = row.value("id", parse_int, 1)
        identity = self._identity(customer_id, changes.fields)
        if identity is None:
            if row.ok:
                row.error("external_id", gettext_noop("an external_id, email or mobile is needed"))
            return None
        if not self.check_unique(row, identity, identity[0]) or not row.ok:
            return None
        return CustomerRow(row.line, identity, changes)

    @staticmethod
    def _identity(customer_id: int | None, fields: dict[str, Any]) -> tuple[str, Any] | None:
        if customer_id is not None:
            return ("id", customer_id)
        for column in IDENTITY_COLUMNS[1:]:
            if fields.get(column):
                return (column, fields[column])
        return None

    def resolve(self, chunk: list[CustomerRow]) -> None:
        found = {column: self._existing(column, chunk) for column in IDENTITY_COLUMNS}
        owners = found["external_id"]
        for item in chunk:
            column, value = item.identity
            customer = found[column].get(value)
            if column == "id" and customer is None:
                self.report.add_error(
                    item.line, "id", gettext_noop("no customer with id %(id)s"), id=value
                )
                continue
            external_id = item.changes.fields.get("external_id")
            owner = owners.get(external_id)
            if owner is not None and customer is not None and owner.pk != customer.pk:
                self.report.add_error(
                    item.line,
                    "external_id",
                    gettext_noop("%(value)s belongs to customer %(id)s"),
                    value=repr(external_id),
                    id=owner.pk,
                )
                continue
            if customer is not None and not self.check_unique_customer(item, customer):
                continue
            item.changes.customer = customer

    def check_unique_customer(self, item: CustomerRow, customer: Customer) -> bool:
        first_line = self.seen.setdefault(("customer", customer.pk), item.line)
        if first_line != item.line:
            self.report.add_error(
                item.line,
                item.identity[0],
                gettext_noop("the same customer as line %(line)s"),
                line=first_line,
            )
            return False
        return True

    def _existing(self, column: str, chunk: list[CustomerRow]) -> dict[Any, Customer]:
        values = {item.identity[1] for item in chunk if item.identity[0] == column}
        if column == "external_id":  # a row found by id may also set an external_id
            values |= {
                item.changes.fields["external_id"]
                for item in chunk
                if "external_id" in item.changes.fields
            }
        if not values:
            return {}
        lookup = "pk" if column == "id" else column
        customers = Customer.objects.filter(
            organisation=self.organisation, **{f"{lookup}__in": values}
        ).order_by()  # no ordering in SQL: SQLite would scan an index to sort
        # Several with one e-mail: the oldest wins.
        oldest_last = sorted(customers, key=lambda customer: -customer.pk)
        return {getattr(customer, lookup): customer for customer in oldest_last}

    def write(self, chunk: list[CustomerRow]) -> None:
        counts = upsert_customers(
            organisation=self.organisation,
            changes=[item.changes for item in chunk],
            source="import",
        )
        self.report.created += counts.created
        self.report.updated += counts.updated
        self.report.unchanged += counts.unchanged
