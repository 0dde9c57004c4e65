"""Writes of the scheme core: amending the rule set (a new version, never an edit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from repm_portal import audit
from repm_portal.models import CapacitySlab, RuleSet, Scheme
from repm_portal.roles import Role, require_role
from repm_portal.selectors import SLAB_FIELDS, parameter_fields, rule_set_diff

if TYPE_CHECKING:
    from beneficiaries.models import User


def _validate_slabs(rule_set: RuleSet, slabs: list[dict[str, Any]]) -> None:
    """Slabs must cover the capacity range in order, without gaps or overlaps, on the step."""
    ordered = sorted(slabs, key=lambda s: s["min_capacity_mtpa"])
    expected = rule_set.min_capacity_mtpa
    for slab in ordered:
        low, high = slab["min_capacity_mtpa"], slab["max_capacity_mtpa"]
        if low != expected:
            raise ValidationError(
                {"slabs": f"Slabs must run on from {expected:,} MTPA; one starts at {low:,} MTPA."}
            )
        if high < low or (high - low) % rule_set.capacity_step_mtpa:
            raise ValidationError({"slabs": f"Slab {low:,}-{high:,} MTPA is not on the step."})
        for name in SLAB_FIELDS:
            if Decimal(slab[name]) <= 0:
                raise ValidationError(
                    {"slabs": f"Slab {low:,}-{high:,} MTPA: {name} must be above zero."}
                )
        expected = high + rule_set.capacity_step_mtpa
    if expected - rule_set.capacity_step_mtpa != rule_set.max_capacity_mtpa:
        raise ValidationError(
            {
                "slabs": f"Slabs must end at the maximum capacity, {rule_set.max_capacity_mtpa:,} MTPA."
            }
        )


@transaction.atomic
def amend_rule_set(
    *,
    actor: User,
    effective_from: dt.date,
    notification: str,
    notified_on: dt.date,
    summary: str,
    changes: dict[str, Any],
    slabs: list[dict[str, Any]] | None = None,
    scheme_code: str = "REPM",
) -> RuleSet:
    """Issue the next version of the scheme's rules: the latest version with `changes` applied."""
    require_role(actor, Role.OFFICIAL, Role.ADMIN, action="amend the scheme's rules")
    # One amendment at a time per scheme, so version numbers never collide.
    scheme = Scheme.objects.select_for_update().get(code=scheme_code)
    base = (
        RuleSet.objects.filter(scheme=scheme).order_by("-version").prefetch_related("slabs").first()
    )
    if base is None:
        raise ValidationError(f"The {scheme_code} scheme has no rule set to amend; load one first.")
    allowed = {f.name for f in parameter_fields()}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError({"changes": f"Not a rule-set parameter: {', '.join(unknown)}."})
    if effective_from <= base.effective_from:
        raise ValidationError(
            {
                "effective_from": f"An amendment must take effect after version {base.version} "
                f"({base.effective_from:%d %b %Y})."
            }
        )
    if not summary.strip() or not notification.strip():
        raise ValidationError({"summary": "Give the notification reference and what changes."})

    values = {f.name: getattr(base, f.name) for f in parameter_fields()}
    values.update(changes)
    new = RuleSet(
        scheme=scheme,
        version=base.version + 1,
        effective_from=effective_from,
        notification=notification.strip(),
        notified_on=notified_on,
        summary=summary.strip(),
        created_by=actor,
        **values,
    )
    new.full_clean()
    slab_values = (
        slabs
        if slabs is not None
        else [
            {"min_capacity_mtpa": s.min_capacity_mtpa, "max_capacity_mtpa": s.max_capacity_mtpa}
            | {name: getattr(s, name) for name in SLAB_FIELDS}
            for s in base.slabs.all()
        ]
    )
    _validate_slabs(new, slab_values)
    new.save()
    CapacitySlab.objects.bulk_create(CapacitySlab(rule_set=new, **s) for s in slab_values)
    diff = rule_set_diff(base, new)
    if not diff:
        raise ValidationError({"changes": "This amendment changes nothing in the rules."})
    audit.record(
        actor=actor,
        action="rule_set.amended",
        obj=new,
        old={"version": base.version, **{c.name: c.old for c in diff}},
        new={
            "version": new.version,
            "effective_from": effective_from,
            "notification": new.notification,
            **{c.name: c.new for c in diff},
        },
    )
    return new
