"""Schemathesis against the live OpenAPI schema, as nobody, an official and a firm: the API answers
as its schema says.

Issue 12, hole 7: bad input answered 500. Issue 14: the schema is a promise. Each operation of the
schema the app serves at /api/schema/ gets a few derandomised examples (`EXAMPLES`, default 3) of
parameters and bodies through the WSGI app, and three checks are asserted on every answer: no
server error, a status the operation documents, and a body that matches the schema of that
status. An operation with an id in its path is also called once with the id of an object the
caller can see (read from the list of its kind first), so the details and their nullable fields
are checked on real rows, not only on 404s. Each call runs in a savepoint rolled back after it, so
one example cannot break the next. The official signs in with a session (and sends the CSRF
token), the firm with an API token.

Left out, to keep the run short, the six operations that upload a file (a body with a binary
field): POST /api/tenders/{id}/bid/, /api/capital-claims/upload/, /api/claim-uploads/,
/api/milestones/{id}/submit/, /api/sales-claims/{id}/submit/ and
/api/payment-runs/{id}/return-file/. Their bad input is tested next to them
(tests/bidding/test_bad_input.py and the uploads' own tests); their numbers are bounded
(tests/repm_portal/test_input_bounds.py). With REPM_SCHEMATHESIS_EXAMPLES=15 issue 12's walk
(server errors only) took 7.5 minutes for two roles and found nothing more.
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
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from bidding import services as bidding
from incentives import ledger
from incentives.gestation import services as gestation
from incentives.models import EntryKind, Pool
from repm_portal.roles import Role
from repm_portal.wsgi import application
from tests.claims.sales import sales_award
from tests.claims.workflow import drafted
from tests.factories import AwardFactory, TenderFactory

EXAMPLES = int(os.environ.get("REPM_SCHEMATHESIS_EXAMPLES", "3"))
CSRF = "schemathesis0csrf0secret00000000"  # any 32 characters: an unmasked CSRF secret
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Details whose list is another path's: a claim's SLI preview is of a sales claim.
LISTED_AT = {"/api/sli/claims/": "/api/sales-claims/"}


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
def world(rules, users, media_root):
    """A tender, and two awards of the firm user's own firm: one in gestation with its milestones,
    its guarantee and a penalty with no letter (the nullable fields of each are null here), one
    commissioned with a draft sales claim of five lines and its feedstock declared."""
    official, firm_user = users[Role.OFFICIAL], users[Role.FIRM_USER]
    drafted(sales_award(firm=firm_user.firm), firm_user)
    award = AwardFactory(firm=firm_user.firm)
    with transaction.atomic():
        gestation.open_gestation(actor=official, award=award)
        bidding.record_pbg(
            actor=official, award=award, amount=award.pbg_amount_required,
            bank_name="State Bank of India", guarantee_number="PBG/0001",
            issued_on=award.awarded_at.date(), valid_until=award.pbg_valid_until_required,
        )  # fmt: skip
        ledger.post(
            kind=EntryKind.PENALTY, pool=Pool.CAPITAL_SUBSIDY, award=award, amount="1000.00",
            source_key="schemathesis:penalty", rule_set=award.rule_set, document_ref="test",
            narration="A penalty, no letter yet",
        )  # fmt: skip
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


def _token(user) -> dict[str, Any]:
    _, token = AuthToken.objects.create(user=user)
    return {"headers": {"Authorization": f"Token {token}"}}


def _listed(operations, auth: dict[str, Any]) -> dict[str, list[dict]]:
    """What each list the caller may read holds, by its path: the rows' ids for the details."""
    listed: dict[str, list[dict]] = {}
    for operation in operations:
        if operation.method.upper() != "GET" or "{" in operation.path:
            continue
        response = operation.Case().call(**auth)
        if response.status_code != 200:
            continue
        body = response.json()
        rows = body.get("results") if isinstance(body, dict) else body
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            listed[operation.path] = rows
    return listed


def _real_ids(operation, listed: dict[str, list[dict]]) -> dict[str, Any] | None:
    """Path parameters naming an object the caller can see, if the list of its kind has one."""
    names = [p.name for p in operation.path_parameters]
    prefix = operation.path.split("{", 1)[0]
    row = next(iter(listed.get(LISTED_AT.get(prefix, prefix), [])), None)
    if row is None or not names:
        return None
    first = names[0]
    value = row.get(first, row.get("id"))
    return dict.fromkeys(names, value)  # diff/{other}: the version against itself


def _failures(operation, auth: dict[str, Any], real: dict[str, Any] | None) -> list[str]:
    found: list[str] = []
    real_ids_pending = [True]

    def check(case) -> None:
        point = transaction.savepoint()
        try:
            response = case.call(**auth)
            case.validate_response(response, checks=CHECKS)
        # Every failure is reported and the walk goes on (schemathesis groups its failures).
        except (Exception, BaseExceptionGroup) as exc:
            found.append(f"{case.method} {case.formatted_path}: {str(exc).splitlines()[0:6]}")
        finally:
            transaction.savepoint_rollback(point)

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
        check(case)
        if real is not None and real_ids_pending:  # once: the first example's body, on a real row
            real_ids_pending.pop()
            case.path_parameters = {**case.path_parameters, **real}
            check(case)

    run()
    return found[:1]


@pytest.mark.parametrize("role", [None, Role.OFFICIAL, Role.FIRM_USER])
def test_every_operation_answers_as_its_schema_says(api_schema, users, world, role, private_cache):
    auth = (
        {}
        if role is None
        else _token(users[role])
        if role == Role.FIRM_USER
        else _session(users[role])
    )
    operations = [result.ok() for result in api_schema.get_all_operations()]
    tried = [op for op in operations if not _uploads_a_file(op)]
    assert len(tried) > 80  # the walk reaches the API, not a handful of it
    listed = _listed(tried, auth)
    if role is not None:  # the world is seen by both
        assert {
            "/api/awards/", "/api/plants/", "/api/milestones/", "/api/guarantees/",
            "/api/ledger-entries/", "/api/tenders/", "/api/sales-claims/", "/api/claim-uploads/",
        } <= set(listed)  # fmt: skip
    failures = [f for op in tried for f in _failures(op, auth, _real_ids(op, listed))]
    assert failures == []
