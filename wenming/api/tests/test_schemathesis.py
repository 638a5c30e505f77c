"""Property-based fuzzing of the JSON API from its own OpenAPI schema (schemathesis), bounded to a few examples
per operation: no 500s, and every response matches the documented schema and status codes."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from wenming.inspections.services import load_grade_bands

from .conftest import World, bearer

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def office_headers(db):
    # Requests go through the real WSGI handler, which closes the database connection after each response; the
    # test client switches that off for the test transaction, and so must this test.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        world = World()
        load_grade_bands()  # inspection point types and market grade bands: real bodies to check
        yield {"Authorization": bearer(world.office_token)["HTTP_AUTHORIZATION"]}
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, office_headers):
    case.call_and_validate(
        headers=office_headers,
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
    )
