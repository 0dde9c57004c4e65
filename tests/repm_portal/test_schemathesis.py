"""Schemathesis against the live OpenAPI schema, as nobody, an official and a firm user: no 5xx.

Issue 12, hole 7: bad input answered 500. Each operation of the schema the app serves at
/api/schema/ gets a few derandomised examples (`EXAMPLES`, default 3) of parameters and bodies
through the WSGI app, and only the `not_a_server_error` check is asserted. Each call runs in
a savepoint rolled back after it, so one example cannot break the next.

Left out, to keep the run short, the six operations that upload a file (a body with a binary
field): POST /api/tenders/{id}/bid/, /api/capital-claims/upload/, /api/claim-uploads/,
/api/milestones/{id}/submit/, /api/sales-claims/{id}/submit/ and
/api/payment-runs/{id}/return-file/. Their bad input is tested next to them
(tests/bidding/test_bad_input.py and the uploads' own tests); their numbers are bounded
(tests/repm_portal/test_input_bounds.py). With REPM_SCHEMATHESIS_EXAMPLES=15 the walk took
7.5 minutes for two roles and found nothing more.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from repm_portal.roles import Role
from repm_portal.wsgi import application
from tests.factories import AwardFactory, PlantFactory, TenderFactory

EXAMPLES = int(os.environ.get("REPM_SCHEMATHESIS_EXAMPLES", "3"))
CSRF = "schemathesis0csrf0secret00000000"  # any 32 characters: an unmasked CSRF secret


def _uploads_a_file(operation) -> bool:
    """Whether a body of the operation has a binary (file) field."""
    components = operation.schema.raw_schema.get("components", {}).get("schemas", {})
    for media in operation.definition.raw.get("requestBody", {}).get("content", {}).values():
        schema = media.get("schema", {})
        if "$ref" in schema:
            schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        if "'binary'" in repr(schema):
            return True
    return False


@pytest.fixture
def wsgi_in_the_test_transaction():
    """The WSGI handler closes the connection after each request; the test's transaction must stay."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, wsgi_in_the_test_transaction):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def world(rules):
    award = AwardFactory()
    PlantFactory(award=award)
    TenderFactory()
    return award


def _session(user) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    return {
        "cookies": {
            django_settings.SESSION_COOKIE_NAME: client.cookies[
                django_settings.SESSION_COOKIE_NAME
            ].value,
            django_settings.CSRF_COOKIE_NAME: CSRF,
        },
        "headers": {"X-CSRFToken": CSRF},
    }


def _server_errors(operation, auth: dict[str, Any]) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        point = transaction.savepoint()
        try:
            response = case.call(**auth)
            case.validate_response(response, checks=[not_a_server_error])
        # Every failure is reported and the walk goes on (schemathesis groups its failures).
        except (Exception, BaseExceptionGroup) as exc:
            found.append(f"{case.method} {case.formatted_path}: {str(exc).splitlines()[0:3]}")
        finally:
            transaction.savepoint_rollback(point)

    run()
    return found[:1]


@pytest.mark.parametrize("role", [None, Role.OFFICIAL, Role.FIRM_USER])
def test_no_operation_answers_a_server_error(api_schema, users, world, role, private_cache):
    auth = _session(users[role]) if role else {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    tried = [op for op in operations if not _uploads_a_file(op)]
    assert len(tried) > 60  # the walk reaches the API, not a handful of it
    failures = [failure for op in tried for failure in _server_errors(op, auth)]
    assert failures == []
