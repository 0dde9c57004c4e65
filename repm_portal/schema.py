"""The OpenAPI schema class: every operation documents the errors it can answer, and lists as sent.

drf-spectacular documents only the success of an operation. `AutoSchema` (DEFAULT_SCHEMA_CLASS)
adds, from what the view is, each error status the operation can answer, with its body:

- 400 (`ValidationError`) on every write (a body that cannot be read, a bad field, a service's
  refusal) and on every read that takes a filter (a value the filter refuses);
- 401 (`ErrorDetail`) where authentication is read: not signed in, or a token that is unknown,
  revoked or expired (a public read refuses a bad token too, rather than ignore it);
- 403 (`ErrorDetail`) where a login is required (the role or the firm may not; some lists are
  for some roles only), and on writes read with a session (a missing CSRF token);
- 404 (`ErrorDetail`) on every route with an id in its path (none, or not the caller's) and on
  every paginated list (no such page);
- 429 (`ErrorDetail`) where the view is throttled.

An operation that documents a status itself (extend_schema) keeps its own; one documented
without a body gets the standard body. A status only some views answer (409) is declared on
those views; one a view can never answer is left out with `never_answers` on the view's handler.

A viewset's own actions (`@action`) answer what they return, never a page: only a `list`
action is paginated and filtered. (Should an action ever paginate, it must say so itself.) And a
serializer without a docstring of its own is not described by ScopedModelSerializer's, which is
about the code, not the data.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_doc
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

from repm_portal.scoping import ScopedModelSerializer

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ErrorDetailSerializer(serializers.Serializer):
    """The body of every refusal that is not about the request's values."""

    detail = serializers.CharField(help_text="Why, in words")


class ValidationErrorSerializer(serializers.Serializer):
    """What was wrong with the request; its schema is `ValidationErrorSchema`'s."""


class ValidationErrorSchema(OpenApiSerializerExtension):
    target_class = ValidationErrorSerializer

    def get_name(self, auto_schema=None, direction=None) -> str:
        return "ValidationError"

    def map_serializer(self, auto_schema, direction) -> dict[str, Any]:
        return {
            "type": "object",
            "description": (
                "What was wrong, by field: each field's messages; `non_field_errors` for the "
                "request as a whole (a service's refusal); for a nested field, or a list's rows, "
                "an object of the same kind (rows by index); `detail` for a body that could not "
                "be read. Nothing was changed."
            ),
            "properties": {
                "detail": {"type": "string", "description": "The body could not be read"},
                "non_field_errors": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": {
                "anyOf": [{"type": "array", "items": {}}, {"type": "object"}],
                "description": "The field's messages (or its rows' or parts')",
            },
        }


DESCRIPTIONS = {
    "400": "Refused: a value, the body or a filter is wrong, or the step is not allowed now. "
    "Nothing was changed.",
    "401": "Not signed in: no valid token (`Authorization: Token <token>`) or session.",
    "401-public": "The token sent is unknown, revoked or expired (send none to read anonymously).",
    "403": "Signed in, but this user may not do this (role, firm, or the four-eyes rule); "
    "or, with a session, the CSRF token is missing on a write.",
    "403-csrf": "With a session: the CSRF token is missing or wrong.",
    "404": "No such object, or not one this user may see.",
    "404-page": "No such page.",
    "429": "Too many requests: wait and try again.",
}


def never_answers(*codes: int):
    """Mark a view class or handler: it never answers these error statuses (the schema omits them)."""

    def mark(handler):
        # An @api_view is a function whose class is `.cls`; the schema reads the class.
        target = getattr(handler, "cls", handler)
        target.never_answers = frozenset(str(code) for code in codes)
        return handler

    return mark


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, with the error statuses and bare lists (module docstring)."""

    def _own_action(self) -> bool:
        action = getattr(self.view, "action", None)
        return action is not None and action != "list"

    def _get_paginator(self):
        return None if self._own_action() else super()._get_paginator()

    def get_filter_backends(self) -> list[Any]:
        return [] if self._own_action() else super().get_filter_backends()

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if schema.get("description") == get_doc(ScopedModelSerializer):
            del schema["description"]
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            self._add_errors(operation)
        return operation

    def _add_errors(self, operation: dict[str, Any]) -> None:
        responses = operation["responses"]
        for code, description in self._errors(operation).items():
            responses.setdefault(code, {"description": description})
        for code, response in responses.items():
            if code.startswith("4") and "content" not in response:
                body = ValidationErrorSerializer if code == "400" else ErrorDetailSerializer
                given = response.get("description")
                responses[code] = self._get_response_for_code(body, code)
                responses[code]["description"] = given or DESCRIPTIONS.get(code, "")
        operation["responses"] = dict(sorted(responses.items()))

    def _errors(self, operation: dict[str, Any]) -> dict[str, str]:
        view = self.view
        authenticators = view.get_authenticators()
        login = any(not isinstance(p, AllowAny) for p in view.get_permissions())
        parameters = operation.get("parameters", [])
        in_path = any(p["in"] == "path" for p in parameters)
        filtered = any(p["in"] == "query" and p["name"] != "page" for p in parameters)
        paged = any(p["in"] == "query" and p["name"] == "page" for p in parameters)
        session = any(isinstance(a, SessionAuthentication) for a in authenticators)
        errors: dict[str, str] = {}
        if self.method in WRITES or filtered:
            errors["400"] = DESCRIPTIONS["400"]
        if authenticators:
            errors["401"] = DESCRIPTIONS["401" if login else "401-public"]
        if login:
            errors["403"] = DESCRIPTIONS["403"]
        elif session and self.method in WRITES:
            errors["403"] = DESCRIPTIONS["403-csrf"]
        if in_path:
            errors["404"] = DESCRIPTIONS["404"]
        elif paged:
            errors["404"] = DESCRIPTIONS["404-page"]
        if view.get_throttles():
            errors["429"] = DESCRIPTIONS["429"]
        handler = getattr(view, getattr(view, "action", None) or self.method.lower(), None)
        never = getattr(view, "never_answers", frozenset()) | getattr(
            handler, "never_answers", frozenset()
        )
        return {code: text for code, text in errors.items() if code not in never}


__all__ = ["AutoSchema", "ErrorDetailSerializer", "ValidationErrorSerializer", "never_answers"]
