"""Reads of the scheme core: which rule set is in force, and what changed between two versions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext

from repm_portal import request_memo, scoping
from repm_portal.models import AuditEvent, CapacitySlab, RuleSet
from repm_portal.roles import AnyUser, require_role

SCHEME_CODE = "REPM"

# Parameters an amendment may change (everything but identity and provenance).
NON_PARAMETERS = {
    "id",
    "scheme",
    "version",
    "effective_from",
    "notification",
    "notified_on",
    "summary",
    "created_by",
    "created_at",
}
SLAB_FIELDS = ("min_net_worth", "capital_subsidy_cap", "min_investment")


def parameter_fields() -> list[models.Field[Any, Any]]:
    return [f for f in RuleSet._meta.concrete_fields if f.name not in NON_PARAMETERS]


def rule_sets(*, scheme_code: str = SCHEME_CODE) -> QuerySet[RuleSet]:
    return (
        RuleSet.objects.filter(scheme__code=scheme_code)
        .select_related("scheme", "created_by")
        .prefetch_related("slabs")
        .order_by("version")
    )


@request_memo.memoized
def rule_set_list(*, scheme_code: str = SCHEME_CODE) -> list[RuleSet]:
    """Every version, oldest first (read once per page inside a `request_memo.scope()`)."""
    return list(rule_sets(scheme_code=scheme_code))


def rule_set_in_force(*, on: dt.date, scheme_code: str = SCHEME_CODE) -> RuleSet:
    """The version whose effective date is the latest on or before `on`."""
    if request_memo.active():
        versions = rule_set_list(scheme_code=scheme_code)
        found = next((r for r in reversed(versions) if r.effective_from <= on), None)
    else:
        found = rule_sets(scheme_code=scheme_code).filter(effective_from__lte=on).last()
    if found is None:
        raise RuleSet.DoesNotExist(f"No {scheme_code} rule set is in force on {on:%d %b %Y}")
    return found


def latest_rule_set(*, scheme_code: str = SCHEME_CODE) -> RuleSet:
    found = rule_sets(scheme_code=scheme_code).last()
    if found is None:
        raise RuleSet.DoesNotExist(f"The {scheme_code} scheme has no rule set")
    return found


@dataclass(frozen=True)
class ParameterChange:
    name: str
    label: str
    old: Any
    new: Any
    kind: str  # money, percent, number, date, list, text


def _kind(field: models.Field[Any, Any]) -> str:
    internal = field.get_internal_type()
    if isinstance(field, models.DecimalField):
        if field.decimal_places == 2 and field.max_digits == 18:
            return "money"
        if field.decimal_places == 4 and field.max_digits == 7:
            return "percent"
        return "number"
    if internal == "DateField":
        return "date"
    if internal == "ArrayField":
        return "list"
    if internal in {"PositiveIntegerField", "IntegerField"}:
        return "number"
    if internal == "JSONField":
        return "by_year"
    return "text"


def _slab_map(rule_set: RuleSet) -> dict[tuple[int, int], CapacitySlab]:
    return {(s.min_capacity_mtpa, s.max_capacity_mtpa): s for s in rule_set.slabs.all()}


def _slab_field(name: str) -> models.Field[Any, Any]:
    field = CapacitySlab._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"CapacitySlab.{name} is a relation, not a slab figure")
    return field


def rule_set_diff(old: RuleSet, new: RuleSet) -> list[ParameterChange]:
    """Every parameter and slab figure whose value differs between two versions."""
    changes: list[ParameterChange] = []
    for field in parameter_fields():
        before, after = getattr(old, field.attname), getattr(new, field.attname)
        if before != after:
            changes.append(
                # In the active language: the pages' (the API answers in English).
                ParameterChange(
                    field.name, gettext(str(field.verbose_name)), before, after, _kind(field)
                )
            )
    old_slabs, new_slabs = _slab_map(old), _slab_map(new)
    for bounds in sorted(set(old_slabs) | set(new_slabs)):
        label = gettext("slab %(low)s-%(high)s MTPA") % {
            "low": f"{bounds[0]:,}",
            "high": f"{bounds[1]:,}",
        }
        a, b = old_slabs.get(bounds), new_slabs.get(bounds)
        for name in SLAB_FIELDS:
            before = getattr(a, name) if a else None
            after = getattr(b, name) if b else None
            if before != after:
                verbose = gettext(str(_slab_field(name).verbose_name))
                changes.append(
                    ParameterChange(
                        f"{label}:{name}", f"{label}: {verbose}", before, after, "money"
                    )
                )
    return changes


AUDIT_READER_ROLES = ("auditor", "admin", "official")


def audit_events_visible_to(user: AnyUser) -> QuerySet[AuditEvent]:
    """The audit trail: auditors, administrators and ministry officials read all of it."""
    require_role(user, *AUDIT_READER_ROLES, action="read the audit trail")
    return AuditEvent.objects.select_related("actor").order_by("-id")


# Related fields and filters of the API offer only what these selectors let a user see.
scoping.register(AuditEvent, audit_events_visible_to)
