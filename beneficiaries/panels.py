"""Dashboard panels for firms and for administering people."""

from __future__ import annotations

from django.db.models import Count, Q, Window

from beneficiaries import selectors
from beneficiaries.models import BankAccount, User
from repm_portal.roles import READ_ALL_ROLES, Role
from repm_portal.ui import register_nav, register_panel


def _firm_context(user) -> dict:
    # A firm user sees only its own firm (selectors.firms_visible_to): read with its primary
    # account (Firm.primary_bank_account) in one query, and kept on the user for the page's
    # header. Its consortia are shown by name only.
    bank = (
        BankAccount.objects.filter(firm_id=user.firm_id, is_primary=True)
        .select_related("firm")
        .first()
    )
    if bank is not None:
        user.firm = bank.firm
    consortia = list(selectors.consortia_visible_to(user).prefetch_related(None))
    return {"firm": user.firm, "consortia": consortia, "bank": bank}


def _firms_context(user) -> dict:
    # The five latest firms carry the counts of all (windows over the same rows).
    recent = list(
        selectors.firms_visible_to(user)
        .prefetch_related(None)
        .annotate(firms=Window(Count("pk")), indian=Window(Count("pk", filter=Q(country="IN"))))
        .order_by("-created_at")[:5]
    )
    return {
        "firm_count": recent[0].firms if recent else 0,
        "indian_count": recent[0].indian if recent else 0,
        "recent_firms": recent,
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
