"""Reads of firms and people, scoped to what the asking user may see."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet

from beneficiaries.models import BankAccount, Consortium, ConsortiumMember, Firm, User
from repm_portal import scoping
from repm_portal.roles import READ_ALL_ROLES, AnyUser, Role, has_role


def firms_visible_to(user: AnyUser) -> QuerySet[Firm]:
    """A firm user sees only its own firm; ministry, agency and audit staff see all."""
    base = Firm.objects.prefetch_related(
        Prefetch("bank_accounts", queryset=BankAccount.objects.order_by("-is_primary", "id"))
    )
    if has_role(user, *READ_ALL_ROLES):
        return base
    if has_role(user, Role.FIRM_USER) and user.firm_id is not None:
        return base.filter(pk=user.firm_id)
    return base.none()


def firm_for(user: AnyUser, firm_id: int) -> Firm:
    firm = firms_visible_to(user).filter(pk=firm_id).first()
    if firm is None:
        # Same answer whether the firm is missing or someone else's: no probing for ids.
        raise PermissionDenied("No such firm, or it is not yours to see.")
    return firm


def consortia_visible_to(user: AnyUser) -> QuerySet[Consortium]:
    base = Consortium.objects.select_related("lead").prefetch_related(
        Prefetch("members", queryset=ConsortiumMember.objects.select_related("firm"))
    )
    if has_role(user, *READ_ALL_ROLES):
        return base
    if has_role(user, Role.FIRM_USER) and user.firm_id is not None:
        return base.filter(members__firm_id=user.firm_id).distinct()
    return base.none()


def users_visible_to(user: AnyUser) -> QuerySet[User]:
    if has_role(user, Role.ADMIN, Role.AUDITOR):
        return User.objects.select_related("firm").order_by("role", "username")
    # A firm user always has a firm (a database constraint); `firm_id=None` would match all staff.
    if has_role(user, Role.FIRM_USER) and user.firm_id is not None:
        return User.objects.filter(firm_id=user.firm_id)
    return User.objects.none()


def firm_by_identifier(identifier: str) -> Firm | None:
    """Find a registered firm by CIN, PAN or foreign registration number (exact, case-insensitive)."""
    from django.db.models import Q

    ident = identifier.replace(" ", "").strip().upper()
    if not ident:
        return None
    return Firm.objects.filter(
        Q(cin=ident) | Q(pan=ident) | Q(foreign_registration_number__iexact=ident)
    ).first()


# Related fields and filters of the API offer only what these selectors let a user see.
scoping.register(Firm, firms_visible_to)
scoping.register(Consortium, consortia_visible_to)
scoping.register(User, users_visible_to)
