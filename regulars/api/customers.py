"""Customers API (DATA-8): search, read, and upsert one or many with the SPEC 9.2 fields.

Upserts go through the importer: the same checks, create-or-update by external_id (else
e-mail, else mobile), all or nothing."""

import datetime

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from regulars.customers.models import Customer
from regulars.customers.queries import search_customers
from regulars.imports.cells import parse_phone

from .rows import (
    CustomerRowIn,
    ProblemDetail,
    ReportOut,
    RowsRejected,
    import_api_rows,
    rejected,
    report_out,
)

router = Router(tags=["customers"])

MAX_ID = 2**63 - 1


class CustomerOut(Schema):
    id: int
    external_id: str | None
    first_name: str
    last_name: str
    email: str
    mobile: str
    gender: str
    birth_date: datetime.date | None
    address: str
    postcode: str
    city: str
    country: str
    latitude: float | None
    longitude: float | None
    language: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    member: bool
    email_consent: bool
    sms_consent: bool
    groups: list[str]
    tags: list[str]
    permissions: list[str]
    erased: bool

    @staticmethod
    def resolve_groups(customer: Customer) -> list[str]:
        return [group.name for group in customer.groups.all()]

    @staticmethod
    def resolve_tags(customer: Customer) -> list[str]:
        return [tag.name for tag in customer.tags.all()]

    @staticmethod
    def resolve_permissions(customer: Customer) -> list[str]:
        return [permission.name for permission in customer.permissions.all()]

    @staticmethod
    def resolve_erased(customer: Customer) -> bool:
        return customer.is_erased


class CustomerPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[CustomerOut]


class SearchParams(Schema):
    q: str = Field(
        "",
        max_length=200,
        description="a whole e-mail address, mobile number or external id; or words that "
        "each start a first name, last name or e-mail address",
    )
    external_id: str = Field("", max_length=100)
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=500)


class CustomerBatchIn(Schema):
    rows: list[CustomerRowIn] = Field(max_length=10_000)
    dry_run: bool = False


@router.get("/", response={200: CustomerPage, 401: ProblemDetail}, summary="Search customers")
def list_customers(request: HttpRequest, params: Query[SearchParams]):
    customers = search_customers(
        request.organisation,  # type: ignore[attr-defined]
        text=params.q.replace("\x00", ""),
        external_id=params.external_id.replace("\x00", ""),
    ).order_by("id")
    start = (params.page - 1) * params.page_size
    return {
        "count": customers.count(),
        "page": params.page,
        "page_size": params.page_size,
        "items": list(customers[start : start + params.page_size]),
    }


@router.post(
    "/batch",
    response={200: ReportOut, 401: ProblemDetail, 422: RowsRejected},
    summary="Create or update many customers, all or nothing",
)
def upsert_customers(request: HttpRequest, batch: CustomerBatchIn):
    report = import_api_rows(
        organisation=request.organisation,  # type: ignore[attr-defined]
        kind="customers",
        rows=list(batch.rows),
        dry_run=batch.dry_run,
    )
    if not report.ok:
        return Status(422, rejected(report))
    return report_out(report)


@router.get(
    "/{customer_id}",
    response={200: CustomerOut, 401: ProblemDetail, 404: ProblemDetail},
    summary="Get one customer",
)
def get_customer(request: HttpRequest, customer_id: int = Path(..., ge=1, le=MAX_ID)):
    customer = search_customers(request.organisation).filter(pk=customer_id).first()  # type: ignore[attr-defined]
    if customer is None:
        return Status(404, {"detail": "No such customer"})
    return customer


@router.post(
    "/",
    response={200: CustomerOut, 201: CustomerOut, 401: ProblemDetail, 422: RowsRejected},
    summary="Create or update one customer",
    description="By external_id, else e-mail, else mobile (or `id`). 201 when created.",
)
def upsert_customer(request: HttpRequest, row: CustomerRowIn):
    organisation = request.organisation  # type: ignore[attr-defined]
    report = import_api_rows(organisation=organisation, kind="customers", rows=[row], dry_run=False)
    if not report.ok:
        return Status(422, rejected(report))
    if report.rows == 0:
        empty = {
            "line": 2,
            "column": "external_id",
            "reason": "an external_id, email or mobile is needed",
        }
        return Status(422, {"detail": "empty row", "errors": [{"row": 0, **empty}]})
    customer = _find(organisation, row)
    return Status(201 if report.created else 200, customer)


def _find(organisation, row: CustomerRowIn) -> Customer:
    """The customer an upserted row identified (the importer's order of identities)."""
    customers = search_customers(organisation)
    if row.id is not None:
        return customers.get(pk=row.id)
    if row.external_id and row.external_id.strip():
        return customers.get(external_id=row.external_id.strip())
    if row.email and row.email.strip():
        return customers.filter(email=row.email.strip().lower()).earliest("pk")
    mobile = parse_phone((row.mobile or "").strip(), organisation.country)
    return customers.filter(mobile=mobile).earliest("pk")
