"""The audit trail: every state change recorded in its own transaction, hash-chained, verifiable."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

from repm_portal.models import AuditEvent

if TYPE_CHECKING:
    # Type-only: the core's foreign keys already name AUTH_USER_MODEL, which is this model.
    from beneficiaries.models import User

GENESIS_HASH = "0" * 64
# One key for pg_advisory_xact_lock: writers queue here until the previous writer commits,
# so the chain is a line even with many concurrent transactions.
_CHAIN_LOCK_KEY = 0x5245504D  # "REPM"


class AuditOutsideTransaction(RuntimeError):
    pass


def to_json(value: Any) -> Any:
    """The JSON form stored and hashed (Decimal and dates become strings), so both always agree."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The instance's concrete field values as JSON-safe data (foreign keys as their ids)."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    data = {}
    for name in names:
        value = getattr(instance, name)
        if hasattr(value, "name") and hasattr(value, "storage"):  # file fields
            value = value.name
        data[name] = value
    return to_json(data)


def changed(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, as (old, new)."""
    keys = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys}, {k: new.get(k) for k in keys}


def _canonical_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def compute_hash(
    *,
    prev_hash: str,
    occurred_at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    old_values: Any,
    new_values: Any,
) -> str:
    payload = {
        "prev_hash": prev_hash,
        "occurred_at": _canonical_time(occurred_at),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "old_values": old_values,
        "new_values": new_values,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return "system"
    role = actor.get_role_display() if getattr(actor, "role", "") else "no role"
    return f"{actor.get_username()} ({role})"


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    object_repr: str | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row inside the caller's transaction; the change and its record commit together."""
    if not connection.in_atomic_block:
        raise AuditOutsideTransaction(
            f"Audit row for {action!r} must be written inside the transaction of the change."
        )
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        object_repr = object_repr or str(obj)
    if not object_type:
        raise ValueError("An audit row needs the object it is about")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("row_hash", flat=True).first()
    prev_hash = last or GENESIS_HASH
    from django.utils import timezone

    occurred_at = timezone.now()
    actor_id = actor.pk if actor is not None else None
    actor_label = _actor_label(actor)
    object_id_text = str(object_id if object_id is not None else "")
    object_repr = (object_repr or "")[:300]
    old_values, new_values = to_json(old), to_json(new)
    row_hash = compute_hash(
        prev_hash=prev_hash, occurred_at=occurred_at, actor_id=actor_id, actor_label=actor_label,
        action=action, object_type=object_type, object_id=object_id_text,
        object_repr=object_repr, old_values=old_values, new_values=new_values,
    )  # fmt: skip
    return AuditEvent.objects.create(
        prev_hash=prev_hash, row_hash=row_hash, occurred_at=occurred_at, actor_id=actor_id,
        actor_label=actor_label, action=action, object_type=object_type,
        object_id=object_id_text, object_repr=object_repr, old_values=old_values,
        new_values=new_values,
    )  # fmt: skip


@dataclass(frozen=True)
class ChainReport:
    rows_checked: int
    first_broken_id: int | None
    reason: str

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def verify_chain(*, batch_size: int = 5000) -> ChainReport:
    """Recompute every link in id order; report the first row whose hash or link does not hold."""
    expected_prev = GENESIS_HASH
    checked = 0
    rows = AuditEvent.objects.order_by("id").values(
        "id",
        "prev_hash",
        "row_hash",
        "occurred_at",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "old_values",
        "new_values",
    )
    for row in rows.iterator(chunk_size=batch_size):
        checked += 1
        if row["prev_hash"] != expected_prev:
            return ChainReport(
                checked,
                row["id"],
                f"row {row['id']} links to {row['prev_hash'][:12]}…, but the row before it "
                f"hashes to {expected_prev[:12]}… (a row was removed, inserted or reordered)",
            )
        recomputed = compute_hash(
            prev_hash=row["prev_hash"], occurred_at=row["occurred_at"], actor_id=row["actor_id"],
            actor_label=row["actor_label"], action=row["action"],
            object_type=row["object_type"], object_id=row["object_id"],
            object_repr=row["object_repr"], old_values=row["old_values"],
            new_values=row["new_values"],
        )  # fmt: skip
        if recomputed != row["row_hash"]:
            return ChainReport(
                checked,
                row["id"],
                f"row {row['id']} ({row['action']} on {row['object_type']} {row['object_id']}) "
                "was altered after it was written: its content no longer matches its hash",
            )
        expected_prev = row["row_hash"]
    return ChainReport(checked, None, f"all {checked} rows intact")
