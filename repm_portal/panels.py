"""Dashboard panels of the scheme core: the budget and rules in force, the audit trail."""

from __future__ import annotations

from django.utils import timezone

from repm_portal import selectors
from repm_portal.models import AuditEvent
from repm_portal.roles import STAFF_ROLES, Role
from repm_portal.ui import register_nav, register_panel

ALL_ROLES = list(Role.values)


def _rules_context(user) -> dict:
    today = timezone.localdate()
    rules = selectors.rule_set_in_force(on=today)
    pools = [
        ("Sales-linked incentive", rules.sli_pool),
        ("Capital subsidy", rules.capital_subsidy_pool),
        ("Administration", rules.admin_pool),
    ]
    return {"rules": rules, "pools": pools, "today": today}


def _audit_context(user) -> dict:
    return {"recent_events": list(AuditEvent.objects.select_related("actor").order_by("-id")[:8])}


def register() -> None:
    register_nav("Dashboard", "dashboard", ALL_ROLES, order=0)
    register_nav("Scheme rules", "rule_set_list", ALL_ROLES, order=80)
    register_nav("Audit trail", "audit_list", selectors.AUDIT_READER_ROLES, order=90)
    register_panel(
        "Scheme budget and rules in force",
        "panels/scheme_budget.html",
        STAFF_ROLES,
        _rules_context,
        order=10,
    )
    register_panel(
        "Rules you operate under",
        "panels/scheme_rules_firm.html",
        [Role.FIRM_USER],
        _rules_context,
        order=50,
    )
    register_panel(
        "Audit trail",
        "panels/audit_recent.html",
        selectors.AUDIT_READER_ROLES,
        _audit_context,
        order=90,
    )
