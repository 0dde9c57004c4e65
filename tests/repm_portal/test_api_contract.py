"""The schema as a promise (issue 14): every error documented with its body, nullable fields typed
nullable, lists described as they answer, and nothing published taken away.

Read from the schema the generator builds (no database); the live walk that holds the API to it
is tests/repm_portal/test_schemathesis.py.
"""

from __future__ import annotations

import inspect
import json
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate
from rest_framework import serializers

CONTRACT = Path(__file__).with_name("api_contract.json")
BARE_LISTS = [
    ("/api/tenders/{id}/commitments/", "Commitment"),
    ("/api/claim-uploads/columns/", None),
    ("/api/rule-sets/{version}/diff/{other}/", "ParameterChange"),
    ("/api/claim-periods/", "Period"),
]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def _ref(response: dict[str, Any]) -> str:
    return response["content"]["application/json"]["schema"].get("$ref", "").rsplit("/", 1)[-1]


def test_the_schema_is_valid_openapi_3(schema):
    validate(json.loads(json.dumps(schema, default=str)))


def test_every_operation_documents_the_errors_it_can_answer(schema):
    for path, method, operation in _operations(schema):
        codes = set(operation["responses"])
        where = f"{method} {path}"
        if operation.get("security") and path != "/api/auth/token/":
            assert "401" in codes, where
        if "{" in path:
            assert "404" in codes, where
        if method == "POST" and not path.startswith("/api/auth/logout"):
            assert "400" in codes, where
        if any(p["in"] == "query" and p["name"] == "page" for p in operation.get("parameters", [])):
            assert "404" in codes, where  # no such page
        for code, response in operation["responses"].items():
            if code.startswith("4"):
                assert "content" in response, f"{where} {code} has no body"
                assert response["description"], f"{where} {code} says nothing"
    # a refusal's body: {"detail": ...}, or the fields at fault
    components = schema["components"]["schemas"]
    assert components["ErrorDetail"]["required"] == ["detail"]
    assert "non_field_errors" in components["ValidationError"]["properties"]
    runs = schema["paths"]["/api/payment-runs/"]["get"]["responses"]
    assert (_ref(runs["401"]), _ref(runs["403"])) == ("ErrorDetail", "ErrorDetail")  # finance only
    assert set(schema["paths"]["/api/me/"]["get"]["responses"]) == {"200", "401"}
    # the ledger's filters are its page's form: a value it refuses filters nothing (no 400)
    ledger = schema["paths"]["/api/ledger-entries/"]["get"]
    assert {"pool", "account", "kind", "award", "claim_type"} <= {
        p["name"] for p in ledger["parameters"]
    }
    assert "400" not in ledger["responses"]
    tenders = schema["paths"]["/api/tenders/"]["get"]["responses"]
    assert _ref(tenders["400"]) == "ValidationError"  # a filter's refused value
    # where a service answers a conflict
    commitments = schema["paths"]["/api/tenders/{id}/commitments/"]["get"]["responses"]
    assert _ref(commitments["409"]) == "ErrorDetail" and "403" not in commitments  # public
    assert "409" in schema["paths"]["/api/sli/claims/{id}/preview/"]["get"]["responses"]
    assert "429" in schema["paths"]["/api/register/"]["post"]["responses"]  # throttled
    # the token log-out reads no body and no session: only a missing token is refused
    assert set(schema["paths"]["/api/auth/logout/"]["post"]["responses"]) == {"204", "401"}


def test_lists_are_described_as_they_answer(schema):
    for path, item in BARE_LISTS:
        operation = schema["paths"][path]["get"]
        body = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert body["type"] == "array", path
        if item:
            assert body["items"]["$ref"].endswith(f"/{item}"), path
        assert "page" not in {p["name"] for p in operation.get("parameters", [])}, path
    commitments = schema["paths"]["/api/tenders/{id}/commitments/"]["get"]
    assert [p["name"] for p in commitments["parameters"]] == ["id"]  # it filters nothing
    paginated = schema["paths"]["/api/tenders/"]["get"]
    assert _ref(paginated["responses"]["200"]) == "PaginatedTenderList"
    assert {"page", "status", "kind"} <= {p["name"] for p in paginated["parameters"]}
    assert schema["paths"]["/api/claim-uploads/{id}/rerun/"]["post"]["responses"].keys() >= {"202"}


def _may_be_none(model: type[models.Model] | None, attrs: list[str]) -> bool:
    """Whether following `attrs` from `model` may give None: a nullable column or relation, or a
    reverse one-to-one, on the way."""
    for attr in attrs:
        if model is None:
            return False
        try:
            field: Any = model._meta.get_field(attr)
        except Exception:  # an attname (firm_id) or a property
            field = next((f for f in model._meta.concrete_fields if f.attname == attr), None)
            if field is None:
                return False
        if field.one_to_many or field.many_to_many:
            return False
        if (field.one_to_one and not field.concrete) or getattr(field, "null", False):
            return True
        model = field.related_model if field.is_relation else None
    return False


def _api_serializers():
    for config in apps.get_app_configs():
        if find_spec(f"{config.name}.api") is None:
            continue
        module = import_module(f"{config.name}.api")
        for cls in vars(module).values():
            if (
                inspect.isclass(cls)
                and issubclass(cls, serializers.Serializer)
                and cls.__module__ == module.__name__
            ):
                yield cls


def _component_name(cls) -> str:
    annotation = getattr(cls, "_spectacular_annotation", {})
    return annotation.get("component_name") or cls.__name__.removesuffix("Serializer")


def test_every_field_that_may_be_null_is_nullable(schema):
    components = schema["components"]["schemas"]
    checked, missing = 0, []
    for cls in _api_serializers():
        component = components.get(_component_name(cls))
        if component is None or "properties" not in component:
            continue
        model = getattr(getattr(cls, "Meta", None), "model", None)
        for name, field in cls().fields.items():
            if field.write_only or isinstance(field, serializers.SerializerMethodField):
                continue
            if name not in component["properties"]:
                continue
            checked += 1
            may = field.default is None or (
                model is not None
                and field.source != "*"
                and _may_be_none(model, field.source_attrs)
            )
            if may and not component["properties"][name].get("nullable"):
                missing.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert checked > 300  # the walk reads the API's serializers, not a handful
    assert missing == []
    for component, field in [
        ("LedgerEntry", "letter_number"), ("SanctionLetter", "reverses"),
        ("SanctionLetter", "pdf_url"), ("Award", "letter"), ("Guarantee", "pending_proposal"),
        ("SalesClaimDetail", "verification_sla"), ("ConsortiumMember", "firm"),
    ]:  # fmt: skip
        assert components[component]["properties"][field]["nullable"] is True, (component, field)
    # method fields say what they hold
    detail = components["SalesClaimDetail"]["properties"]
    assert detail["documents"]["items"]["$ref"].endswith("/SalesClaimDocument")
    assert components["Plant"]["properties"]["delay_penalty"]["allOf"][0]["$ref"].endswith(
        "/Penalty"
    )


def test_nothing_published_is_taken_away(schema):
    """Operations keep their paths and ids; components keep their fields (they may gain some)."""
    published = json.loads(CONTRACT.read_text())
    now = {f"{method} {path}": op["operationId"] for path, method, op in _operations(schema)}
    assert {k: now.get(k) for k in published["operations"]} == published["operations"]
    components = schema["components"]["schemas"]
    gone = {
        name: sorted(set(fields) - set(components.get(name, {}).get("properties", {})))
        for name, fields in published["components"].items()
    }
    assert {name: fields for name, fields in gone.items() if fields} == {}
