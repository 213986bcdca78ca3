"""Generated input against every operation of /api/openapi.json (DATA-8).

Schemathesis derives requests from the OpenAPI document and sends them through the WSGI
app with a valid token: no answer may be a 5xx, and every answer (status code, content
type, body) must be one the document describes.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings

from regulars.customers.models import Customer
from regulars.wsgi import application

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture
def keep_connection():
    """The WSGI app closes the database connection after each request, which would drop
    the test's transaction; Django's own test client does the same as this."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def customers(org, other_org):
    """Some rows, so that reads find something and other_org's stay out of sight."""
    for organisation in (org, other_org):
        Customer.objects.create(
            organisation=organisation,
            external_id="C1",
            first_name="Anna",
            created_at=timezone.now(),
        )


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, api_token, customers, keep_connection):
    case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"}, checks=CHECKS)
