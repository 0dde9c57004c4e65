"""A pytest plugin: any save that changes a model's `status` outside `pipeline.transition()` fails its test.

Every model with a `status` field is watched: `pre_save` reads the row's stored status back and
compares, and `post_save` (sent only when the database took the row) records the violation, so
a status set by hand (`obj.status = ...; obj.save()`) is caught wherever it happens in the suite,
while a test that shows the database refusing such a save is left alone. Bulk `QuerySet.update(status=...)` never sends signals: the
static check in tests/test_status_moves.py covers those.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models.signals import post_save, pre_save

from repm_portal.pipeline import moving_status

_violations: list[str] = []


def _watched() -> list[type]:
    return [
        model
        for model in apps.get_models()
        if any(field.name == "status" for field in model._meta.concrete_fields)
    ]


def _check(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or moving_status() or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and "status" not in update_fields:
        return
    stored = sender._base_manager.filter(pk=instance.pk).values_list("status", flat=True).first()
    if stored is not None and stored != instance.status:
        instance._status_guard_pending = (
            f"{sender.__name__} {instance.pk}: status {stored!r} -> {instance.status!r} "
            "saved outside pipeline.transition()"
        )


def _confirm(sender, instance, **kwargs) -> None:
    pending = instance.__dict__.pop("_status_guard_pending", None)
    if pending:
        _violations.append(pending)


@pytest.fixture(autouse=True)
def status_moves_through_transition():
    """Fail the test if anything it ran changed a status outside transition()."""
    models = _watched()
    for model in models:
        pre_save.connect(_check, sender=model, dispatch_uid=f"status-guard-{model._meta.label}")
        post_save.connect(_confirm, sender=model, dispatch_uid=f"status-guard-{model._meta.label}")
    _violations.clear()
    yield
    for model in models:
        pre_save.disconnect(sender=model, dispatch_uid=f"status-guard-{model._meta.label}")
        post_save.disconnect(sender=model, dispatch_uid=f"status-guard-{model._meta.label}")
    found, _violations[:] = list(_violations), []
    assert not found, "Status changed outside transition(): " + "; ".join(found)
