"""Every number a form or an API serializer takes has a bound that fits its column (issue 12, hole 7).

An unbounded IntegerField lets 2**63 reach the database, and an unbounded DecimalField lets a
net worth of 9999999999.99 crore overflow the column: both answered 500. The walk reads every
form and serializer class the apps define.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from django import forms
from django.core import validators
from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers

APPS = ("repm_portal", "beneficiaries", "bidding", "incentives")
BIGINT = 2**63 - 1


def _modules():
    for app in APPS:
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if any(part in info.name for part in (".migrations", ".management", ".settings")):
                continue
            yield importlib.import_module(info.name)


def _classes(base):
    seen = set()
    for module in _modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, base) and cls.__module__.startswith(APPS) and cls not in seen:
                seen.add(cls)
                yield cls


# Forms whose numbers a pure engine bounds, with a message that names the field.
BOUNDED_ELSEWHERE = {
    "incentives.forecast.forms.ScenarioForm": "incentives.forecast.engine.Scenario.__post_init__",
}


def _bounds(checks) -> tuple[object, object]:
    low = next((v.limit_value for v in checks if isinstance(v, validators.MinValueValidator)), None)
    high = next(
        (v.limit_value for v in checks if isinstance(v, validators.MaxValueValidator)), None
    )
    return low, high


def _model_validators(form, name: str) -> list:
    """A model form's field is checked by its model field's validators too (in full_clean)."""
    meta = getattr(form, "_meta", None)
    model = getattr(meta, "model", None)
    if model is None:
        return []
    try:
        return list(model._meta.get_field(name).validators)
    except FieldDoesNotExist:  # a form field with no model field behind it
        return []


def test_every_form_number_is_bounded():
    unbounded = []
    for form in _classes(forms.BaseForm):
        label = f"{form.__module__}.{form.__name__}"
        if label in BOUNDED_ELSEWHERE:
            continue
        for name, field in getattr(form, "base_fields", {}).items():
            if not isinstance(field, forms.IntegerField):  # DecimalField and FloatField too
                continue
            low, high = _bounds([*field.validators, *_model_validators(form, name)])
            if isinstance(field, forms.DecimalField) and field.max_digits is not None:
                continue
            if low is None or high is None or high > BIGINT or low < -BIGINT:
                unbounded.append(f"{label}.{name}")
    assert unbounded == [], unbounded


def _request_components() -> set[str]:
    """The names of the serializers the live schema reads request bodies with."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    names = set()
    for operations in schema["paths"].values():
        for operation in operations.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                names.add(ref.rsplit("/", 1)[-1].removesuffix("Request"))
    return names - {""}


def test_every_number_an_api_operation_reads_is_bounded():
    """Integers of every serializer the schema reads a request body with carry both bounds.

    (Ids in paths match digits only, see repm_portal/routers.py; related fields and filters
    past bigint find nothing: the schemathesis walk sends them.)
    """
    readers = _request_components()
    unbounded, seen = [], set()
    for serializer in _classes(serializers.Serializer):
        if serializer.__name__.removesuffix("Serializer") not in readers:
            continue
        seen.add(serializer.__name__.removesuffix("Serializer"))
        try:
            fields = serializer().fields
        except Exception:  # one that needs a context: its declared fields
            fields = serializer._declared_fields
        for name, field in fields.items():
            child = getattr(field, "child", field)
            if field.read_only or not isinstance(child, serializers.IntegerField):
                continue
            if child.min_value is None or child.max_value is None or child.max_value > BIGINT:
                unbounded.append(f"{serializer.__module__}.{serializer.__name__}.{name}")
    assert len(seen) > 20  # the walk found the readers
    assert unbounded == [], unbounded
