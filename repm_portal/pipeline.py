"""Status pipelines: an explicit map of allowed moves; an illegal move raises, every move is audited.

Every `status` field of every model moves through `transition()` (the row already locked or just
created by the caller) or `claim()` (lock a row that others may be taking, skip it if they have
it). Both audit the row's real old status. Background work keeps its state on `Job` rows
(`repm_portal.jobs`), never in a model's `status`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from repm_portal import audit

if TYPE_CHECKING:
    from beneficiaries.models import User

Pipeline = Mapping[str, frozenset[str] | set[str] | tuple[str, ...]]
M = TypeVar("M", bound=models.Model)
# True while transition() saves a row: a status saved at any other time moved outside it.
_moving: ContextVar[bool] = ContextVar("repm_moving_status", default=False)


def moving_status() -> bool:
    """Whether a status is being saved by `transition()` right now (checked by the test suite)."""
    return _moving.get()


def transition(
    obj: models.Model,
    to: str,
    *,
    pipeline: Pipeline,
    actor: User | None,
    now: dt.datetime,
    label: str,
    extra: dict[str, Any] | None = None,
    reason: str = "",
    action: str | None = None,
    audit_new: dict[str, Any] | None = None,
) -> None:
    """Move `obj.status` to `to` if the pipeline allows it; save it and record the move in the audit trail.

    `extra` fields are set and saved with the status; `label` names the object in the error;
    `action` overrides the audit action (default `<model>.<to>`); `audit_new` adds values to
    the audit row that are not fields.
    """
    # Model has no `status` of its own; every model moved here declares one.
    old = obj.status  # type: ignore[attr-defined]
    if to not in pipeline.get(old, ()):
        field = obj._meta.get_field("status")
        if not isinstance(field, models.Field):
            raise TypeError(f"{obj._meta.label}.status is a relation, not a status")
        names = dict(field.flatchoices)
        raise ValidationError(
            f"{label} is {str(names.get(old, old)).lower()}; it cannot become {str(names[to]).lower()}."
        )
    obj.status = to  # type: ignore[attr-defined]
    for name, value in (extra or {}).items():
        setattr(obj, name, value)
    token = _moving.set(True)
    try:
        obj.save(update_fields=["status", *(extra or {})])
    finally:
        _moving.reset(token)
    fields = {
        k: getattr(v, "name", v) if hasattr(v, "storage") else v for k, v in (extra or {}).items()
    }
    new = {"status": to, "at": now, **fields, **(audit_new or {})}
    if reason:
        new["reason"] = reason
    audit.record(
        actor=actor,
        action=action or f"{obj._meta.model_name}.{to}",
        obj=obj,
        old={"status": old},
        new=new,
    )


def claim(
    queryset: models.QuerySet[M],
    pk: Any,
    to: str,
    *,
    pipeline: Pipeline,
    actor: User | None,
    now: dt.datetime,
    label: str,
    extra: dict[str, Any] | None = None,
    reason: str = "",
    action: str | None = None,
    audit_new: dict[str, Any] | None = None,
) -> M | None:
    """Take one row for this caller and move it, in the caller's transaction; None if it cannot.

    The row is locked with SKIP LOCKED and re-read, so two workers never both take it: the one
    that finds it locked, or already moved to where `to` cannot follow, gets None.
    """
    row = queryset.select_for_update(skip_locked=True, of=("self",)).filter(pk=pk).first()
    if row is None or to not in pipeline.get(row.status, ()):  # type: ignore[attr-defined]
        return None
    transition(
        row, to, pipeline=pipeline, actor=actor, now=now, label=label, extra=extra,
        reason=reason, action=action, audit_new=audit_new,
    )  # fmt: skip
    return row


__all__ = ["Pipeline", "claim", "moving_status", "transition"]
