"""Writes on customers. Every consent change goes through `record_consent` (DATA-6)."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from regulars.orgs.models import Organisation

from .models import (
    ConsentKind,
    ConsentRecord,
    Customer,
    CustomerGroup,
    CustomerPermission,
    Individual,
    Permission,
    Tag,
)
from .sql import insert_objects, insert_rows


@transaction.atomic
def record_consent(
    *,
    customer: Customer,
    kind: str,
    granted: bool,
    source: str,
    text_shown: str = "",
    actor=None,
    permission: Permission | None = None,
    message_key: str = "",
    at=None,
) -> ConsentRecord:
    """Change one consent and keep the proof. The current state lives on the customer."""
    at = at or timezone.now()
    kind = ConsentKind(kind)
    if kind == ConsentKind.PERMISSION:
        if permission is None or permission.organisation_id != customer.organisation_id:
            raise ValueError("a permission of the customer's organisation is required")
        _set_permission(customer, permission, granted, at)
    else:
        field = "email_consent" if kind == ConsentKind.EMAIL else "sms_consent"
        Customer.objects.filter(pk=customer.pk).update(**{field: granted})
        setattr(customer, field, granted)
    return ConsentRecord.objects.create(
        organisation_id=customer.organisation_id,
        customer=customer,
        kind=kind,
        permission=permission,
        granted=granted,
        recorded_at=at,
        source=source,
        text_shown=text_shown,
        actor=actor,
        message_key=message_key,
    )


def _set_permission(customer: Customer, permission: Permission, granted: bool, at) -> None:
    if granted:
        CustomerPermission.objects.get_or_create(
            customer=customer, permission=permission, defaults={"granted_at": at}
        )
    else:
        CustomerPermission.objects.filter(customer=customer, permission=permission).delete()


@dataclass
class ConsentChange:
    customer: Customer
    kind: str
    granted: bool
    permission: Permission | None = None


@transaction.atomic
def record_consents(
    *, changes: list[ConsentChange], source: str, text_shown: str = "", at=None
) -> None:
    """`record_consent` for many customers at once (imports): the same state changes and
    the same proof rows, in a few queries instead of a few per change."""
    at = at or timezone.now()
    by_field: dict[tuple[str, bool], list[Customer]] = defaultdict(list)
    grants: list[tuple[int, int]] = []
    withdrawals: dict[int, list[int]] = defaultdict(list)
    for change in changes:
        if change.kind == ConsentKind.PERMISSION:
            assert change.permission is not None
            if change.granted:
                grants.append((change.customer.pk, change.permission.pk))
            else:
                withdrawals[change.permission.pk].append(change.customer.pk)
        else:
            field = "email_consent" if change.kind == ConsentKind.EMAIL else "sms_consent"
            by_field[field, change.granted].append(change.customer)
    for (field, granted), customers in by_field.items():
        Customer.objects.filter(pk__in=[c.pk for c in customers]).update(**{field: granted})
        for customer in customers:
            setattr(customer, field, granted)
    _grant_permissions(grants, at)
    for permission_id, customer_ids in withdrawals.items():
        CustomerPermission.objects.filter(
            permission_id=permission_id, customer_id__in=customer_ids
        ).delete()
    insert_rows(
        ConsentRecord,
        CONSENT_COLUMNS,
        (
            (
                change.customer.organisation_id,
                change.customer.pk,
                str(change.kind),
                change.permission.pk if change.permission else None,
                change.granted,
                at,
                source,
                text_shown,
                "",
            )
            for change in changes
        ),
    )


CONSENT_COLUMNS = (
    "organisation_id",
    "customer_id",
    "kind",
    "permission_id",
    "granted",
    "recorded_at",
    "source",
    "text_shown",
    "message_key",
)


def _grant_permissions(grants: list[tuple[int, int]], at) -> None:
    """Insert the (customer id, permission id) grants the customers do not hold yet."""
    if not grants:
        return
    held = set(
        CustomerPermission.objects.filter(
            customer_id__in={customer_id for customer_id, _ in grants}
        ).values_list("customer_id", "permission_id")
    )
    insert_rows(
        CustomerPermission,
        ("customer_id", "permission_id", "granted_at"),
        ((*grant, at) for grant in dict.fromkeys(grants) if grant not in held),
    )


# Fields an import or the API may set; derived fields are kept in sync by sync_derived_fields.
CUSTOMER_FIELDS = (
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
    "language",
    "created_at",
    "member",
)


def sync_derived_fields(customer: Customer) -> None:
    """birth_monthday and postcode_number follow birth_date and postcode."""
    birth_date = customer.birth_date
    customer.birth_monthday = birth_date.month * 100 + birth_date.day if birth_date else None
    postcode = customer.postcode.strip()
    customer.postcode_number = int(postcode) if postcode.isdigit() and len(postcode) <= 9 else None


@dataclass
class CustomerChanges:
    """What one import row or API call says about one customer. Absent fields and None
    lists/consents leave what is stored as it is."""

    customer: Customer | None  # the existing customer; None creates one
    fields: dict[str, Any]
    groups: list[str] | None = None
    tags: list[str] | None = None
    permissions: list[str] | None = None
    email_consent: bool | None = None
    sms_consent: bool | None = None

    @property
    def saved(self) -> Customer:
        assert self.customer is not None, "only after upsert_customers created it"
        return self.customer


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@transaction.atomic
def upsert_customers(
    *, organisation: Organisation, changes: list[CustomerChanges], source: str, at=None
) -> UpsertCounts:
    """Create or update many customers in bulk: fields, groups, tags (created on the fly),
    and consents and permissions through proof records when they change."""
    at = at or timezone.now()
    new: list[Customer] = []
    edited: list[Customer] = []
    for change in changes:
        if change.customer is None:
            change.customer = Customer(organisation=organisation, created_at=at, updated_at=at)
            _apply_fields(change.customer, change.fields)
            new.append(change.customer)
        elif _apply_fields(change.customer, change.fields):
            change.customer.updated_at = at
            edited.append(change.customer)
    insert_objects(new)
    Customer.objects.bulk_update(edited, [*_STORED_FIELDS, "updated_at"], batch_size=500)
    touched = {customer.pk for customer in edited}
    for attribute, model in (("groups", CustomerGroup), ("tags", Tag)):
        wanted = {
            c.saved.pk: names for c in changes if (names := getattr(c, attribute)) is not None
        }
        touched |= _sync_names(organisation, model, getattr(Customer, attribute).through, wanted)
    consents = _consent_changes(organisation, changes)
    record_consents(changes=consents, source=source, at=at)
    touched |= {consent.customer.pk for consent in consents}
    created = {customer.pk for customer in new}
    return UpsertCounts(
        created=len(new),
        updated=len(touched - created),
        unchanged=len(changes) - len(new) - len(touched - created),
    )


_STORED_FIELDS = (*CUSTOMER_FIELDS, "birth_monthday", "postcode_number")


def _apply_fields(customer: Customer, fields: dict[str, Any]) -> bool:
    """Set the given fields; True when anything stored changed."""
    before = [getattr(customer, name) for name in _STORED_FIELDS]
    for name, value in fields.items():
        setattr(customer, name, value)
    sync_derived_fields(customer)
    return before != [getattr(customer, name) for name in _STORED_FIELDS]


def get_or_create_named(organisation: Organisation, model, names: set[str]) -> dict[str, Any]:
    """name → row of a per-organisation name table, creating the missing names."""
    rows = {
        row.name: row
        for row in model.objects.filter(organisation=organisation, name__in=names).order_by()
    }
    missing = names - rows.keys()
    if missing:
        model.objects.bulk_create(
            [model(organisation=organisation, name=name) for name in missing],
            ignore_conflicts=True,
        )
        rows.update(
            (row.name, row)
            for row in model.objects.filter(organisation=organisation, name__in=missing).order_by()
        )
    return rows


def _sync_names(
    organisation: Organisation, model, through, wanted: dict[int, list[str]]
) -> set[int]:
    """Make each customer's groups (or tags) exactly the wanted names; returns the
    customers whose set changed."""
    if not wanted:
        return set()
    rows = get_or_create_named(
        organisation, model, {name for names in wanted.values() for name in names}
    )
    column = f"{model._meta.model_name}_id"
    current: dict[int, set[int]] = defaultdict(set)
    for customer_id, row_id in through.objects.filter(customer_id__in=wanted).values_list(
        "customer_id", column
    ):
        current[customer_id].add(row_id)
    changed = {
        customer_id
        for customer_id, names in wanted.items()
        if {rows[name].pk for name in names} != current[customer_id]
    }
    through.objects.filter(customer_id__in=changed).delete()
    insert_rows(
        through,
        ("customer_id", column),
        ((customer_id, rows[name].pk) for customer_id in changed for name in wanted[customer_id]),
    )
    return changed


def _consent_changes(
    organisation: Organisation, changes: list[CustomerChanges]
) -> list[ConsentChange]:
    consents = []
    for change in changes:
        customer = change.saved
        if change.email_consent is not None and change.email_consent != customer.email_consent:
            consents.append(ConsentChange(customer, ConsentKind.EMAIL, change.email_consent))
        if change.sms_consent is not None and change.sms_consent != customer.sms_consent:
            consents.append(ConsentChange(customer, ConsentKind.SMS, change.sms_consent))
    wanted = {c.saved.pk: c for c in changes if c.permissions is not None}
    if not wanted:
        return consents
    permissions = get_or_create_named(
        organisation, Permission, {name for c in wanted.values() for name in c.permissions or ()}
    )
    current: dict[int, set[int]] = defaultdict(set)
    for customer_id, permission_id in CustomerPermission.objects.filter(
        customer_id__in=wanted
    ).values_list("customer_id", "permission_id"):
        current[customer_id].add(permission_id)
    by_id = {p.pk: p for p in Permission.objects.filter(organisation=organisation)}
    for customer_id, change in wanted.items():
        wanted_ids = {permissions[name].pk for name in change.permissions or ()}
        for permission_id in sorted(wanted_ids ^ current[customer_id]):
            granted = permission_id in wanted_ids
            consents.append(
                ConsentChange(change.saved, ConsentKind.PERMISSION, granted, by_id[permission_id])
            )
    return consents


@dataclass
class IndividualData:
    individual_id: str
    customer_id: int | None
    kind: str
    attributes: dict[str, Any]


@transaction.atomic
def save_individuals(
    *, organisation: Organisation, individuals: list[IndividualData]
) -> UpsertCounts:
    """Create or update customers' individuals (cars, pets …) by their id."""
    stored = {
        row.external_id: row
        for row in Individual.objects.filter(
            organisation=organisation, external_id__in=[i.individual_id for i in individuals]
        )
    }
    new, edited = [], []
    for data in individuals:
        values = {"customer_id": data.customer_id, "kind": data.kind, "attributes": data.attributes}
        row = stored.get(data.individual_id)
        if row is None:
            new.append(
                Individual(organisation=organisation, external_id=data.individual_id, **values)
            )
        elif _assign_changed(row, values):
            edited.append(row)
    Individual.objects.bulk_create(new, batch_size=1000)
    Individual.objects.bulk_update(edited, ["customer_id", "kind", "attributes"], batch_size=500)
    return UpsertCounts(
        created=len(new), updated=len(edited), unchanged=len(individuals) - len(new) - len(edited)
    )


def _assign_changed(row: Any, values: dict[str, Any]) -> bool:
    """Set the values on a stored row; True when anything changed."""
    changed = any(getattr(row, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(row, name, value)
    return changed
