"""Dashboard panels for firms and for administering people."""

from __future__ import annotations

from django.db.models import Count, Q

from beneficiaries import selectors
from beneficiaries.models import Firm, User
from repm_portal.roles import READ_ALL_ROLES, Role
from repm_portal.ui import register_nav, register_panel


def _firm_context(user) -> dict:
    firm = selectors.firms_visible_to(user).get(pk=user.firm_id)
    consortia = selectors.consortia_visible_to(user)
    return {"firm": firm, "consortia": consortia, "bank": firm.primary_bank_account}


def _firms_context(user) -> dict:
    counts = selectors.firms_visible_to(user).aggregate(
        firms=Count("pk"), indian=Count("pk", filter=Q(country="IN"))
    )
    return {
        "firm_count": counts["firms"],
        "indian_count": counts["indian"],
        "recent_firms": list(Firm.objects.order_by("-created_at")[:5]),
    }


def _people_context(user) -> dict:
    by_role = dict(User.objects.filter(is_active=True).values_list("role").annotate(n=Count("id")))
    return {"by_role": [(label, by_role.get(value, 0)) for value, label in Role.choices]}


def register() -> None:
    register_nav("My firm", "my_firm", [Role.FIRM_USER], order=10)
    register_nav("Consortia", "consortium_list", [Role.FIRM_USER, *READ_ALL_ROLES], order=15)
    register_nav("Firms", "firm_list", READ_ALL_ROLES, order=10)
    register_nav("People", "user_list", [Role.ADMIN, Role.AUDITOR], order=95)
    register_panel(
        "Your firm", "panels/firm_profile.html", [Role.FIRM_USER], _firm_context, order=5
    )
    register_panel(
        "Registered firms", "panels/firms_registered.html", READ_ALL_ROLES, _firms_context, order=20
    )
    register_panel(
        "People and roles", "panels/people.html", [Role.ADMIN], _people_context, order=95
    )
