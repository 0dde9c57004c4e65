"""The API: a valid OpenAPI 3 schema, interactive docs, rule sets and their differences."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from openapi_spec_validator import validate

from repm_portal import services
from repm_portal.roles import Role


@pytest.mark.django_db
def test_schema_is_valid_openapi_3(api_client):
    response = api_client.get("/api/schema/")
    assert response.status_code == 200
    spec = yaml.safe_load(response.content)
    assert spec["openapi"].startswith("3.")
    validate(spec)  # raises on an invalid document
    assert "/api/rule-sets/{version}/diff/{other}/" in spec["paths"]
    assert "/api/register/" in spec["paths"]


@pytest.mark.django_db
def test_interactive_docs_are_served(client):
    response = client.get("/api/docs/swagger/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content


@pytest.mark.django_db
def test_the_docs_page_lists_every_operation_with_the_schema_link(client):
    page = client.get("/api/docs/").content.decode()
    assert 'href="/api/schema/"' in page and 'href="/api/docs/swagger/"' in page
    assert "/api/rule-sets/{version}/diff/{other}/" in page and "register_create" in page


@pytest.mark.django_db
def test_rule_sets_and_their_diff(api_client, users, rules):
    services.amend_rule_set(
        actor=users[Role.OFFICIAL], effective_from=dt.date(2027, 1, 1), notification="S.O. 1(E)",
        notified_on=dt.date(2026, 12, 1), summary="Faster payment", changes={"payment_sla_days": 21},
    )  # fmt: skip
    api_client.force_authenticate(users[Role.FIRM_USER])
    listing = api_client.get("/api/rule-sets/").json()
    assert [r["version"] for r in listing["results"]] == [1, 2]
    assert listing["results"][0]["sli_pool"] == "64500000000.00"
    assert listing["results"][0]["slabs"][0]["min_net_worth"] == "1800000000.00"
    diff = api_client.get("/api/rule-sets/1/diff/2/").json()
    assert diff == [
        {
            "name": "payment_sla_days",
            "label": "payment service level (days)",
            "old": 30,
            "new": 21,
            "kind": "number",
        }
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.AUDITOR, 200),
        (Role.ADMIN, 200),
        (Role.OFFICIAL, 200),
        (Role.FIRM_USER, 403),
        (Role.VERIFIER, 403),
    ],
)
def test_audit_events_api_per_role(api_client, users, role, status):
    api_client.force_authenticate(users[role])
    assert api_client.get("/api/audit-events/").status_code == status


@pytest.mark.django_db
def test_a_service_validation_error_is_a_400_with_the_message(api_client):
    response = api_client.post(
        "/api/register/",
        {"firm": {"legal_name": "X", "registered_address": "a", "signatory_name": "a", "signatory_designation": "a",
                  "signatory_email": "a@b.in", "signatory_phone": "1", "cin": "U27100MH2024PLC000001",
                  "pan": "AABCX1234F", "gstin": "27AABCX1234F1ZA"},
         "bank_account": {"account_holder": "X", "account_number": "123456789", "ifsc": "SBIN0000300",
                          "bank_name": "SBI", "branch": "Pune"},
         "user": {"username": "x1", "email": "x@y.in", "password": "a-long-enough-passphrase"}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "gstin" in response.json()
    assert "Check character" in response.json()["gstin"][0]
