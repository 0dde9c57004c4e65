"""Status pipelines: an explicit map of allowed moves; an illegal move raises, every move is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from repm_portal import audit


def transition(
    obj: models.Model,
    to: str,
    *,
    pipeline: Mapping[str, frozenset[str] | set[str] | tuple[str, ...]],
    actor,
    now: dt.datetime,
    label: str,
    extra: dict[str, Any] | None = None,
    reason: str = "",
    action: str | None = None,
) -> None:
    """Move `obj.status` to `to` if the pipeline allows it; save it and record the move in the audit trail.

    `extra` fields are set and saved with the status; `label` names the object in the error;
    `action` names the audit event when it is not `<model>.<to>` (a name already on record).
    """
    if to not in pipeline[obj.status]:
        names = dict(obj._meta.get_field("status").flatchoices)
        raise ValidationError(
            f"{label} is {str(names[obj.status]).lower()}; it cannot become {str(names[to]).lower()}."
        )
    old = obj.status
    obj.status = to
    for name, value in (extra or {}).items():
        setattr(obj, name, value)
    obj.save(update_fields=["status", *(extra or {})])
    new = {"status": to, "at": now, **(extra or {})}
    if reason:
        new["reason"] = reason
    audit.record(
        actor=actor,
        action=action or f"{obj._meta.model_name}.{to}",
        obj=obj,
        old={"status": old},
        new=new,
    )
