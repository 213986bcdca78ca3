"""The REST API (DATA-8): one NinjaAPI, one router module per domain."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from . import customers, imports, loyalty, messaging, segments
from .auth import OrganisationToken

MALFORMED_BODY = "Cannot parse request body"
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "fields": {"type": "array"},
    },
    "required": ["detail"],
}


class RegularsAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Every operation documents the 401 of the token check and, when it takes input,
        the 422 of input validation, even where its router does not say so."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if operation.get("security"):
                    _document(responses, 401, "Missing, unknown or revoked API token")
                if operation.get("parameters") or operation.get("requestBody"):
                    _document(responses, 422, "Invalid input; `detail` names the field")
        return schema


def _document(responses: dict[Any, Any], status: int, description: str) -> None:
    if status not in responses and str(status) not in responses:
        responses[status] = {
            "description": description,
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        }


api = RegularsAPI(
    title="Regulars API",
    version="1",
    urls_namespace="api",
    auth=OrganisationToken(),
    description="Integrations: customers, sales, bookings, tickets, segments, loyalty at the till.",
)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422 whose `detail` names every bad field (`body.row.member: …`), like any other
    error's detail; `fields` has them one by one."""
    fields = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors
    ]
    return _invalid(request, fields)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Malformed JSON is invalid input like a wrong type: 422 naming the body."""
    if exc.status_code == 400 and str(exc).startswith(MALFORMED_BODY):
        return _invalid(
            request, [{"loc": ["body"], "msg": "malformed JSON", "type": "json_invalid"}]
        )
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


def _invalid(request: HttpRequest, fields: list[dict[str, Any]]) -> HttpResponse:
    detail = "; ".join(f"{'.'.join(map(str, f['loc']))}: {f['msg']}" for f in fields)
    body = {"detail": detail, "code": "invalid_input", "fields": fields}
    return api.create_response(request, body, status=422)


api.add_router("/customers", customers.router)
api.add_router("/imports", imports.router)
api.add_router("/segments", segments.router)
api.add_router("/messaging", messaging.router)
api.add_router("/loyalty", loyalty.router)
