"""Roles of the people who use the portal, and the one check every service calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext

if TYPE_CHECKING:
    # Type-only: the one user model (AUTH_USER_MODEL) is the only one with a role.
    from beneficiaries.models import User

# Whoever is asking: a signed-in user, an anonymous visitor, or nobody (the system itself).
AnyUser = AbstractBaseUser | AnonymousUser | None


class Role(models.TextChoices):
    FIRM_USER = "firm_user", "Firm user"
    OFFICIAL = "official", "Ministry official"
    EVALUATOR = "evaluator", "Technical evaluator"
    VERIFIER = "verifier", "Verifier (project management agency)"
    APPROVER = "approver", "Approver"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Administrator"


STAFF_ROLES = frozenset(
    {Role.OFFICIAL, Role.EVALUATOR, Role.VERIFIER, Role.APPROVER, Role.AUDITOR, Role.ADMIN}
)
READ_ALL_ROLES = STAFF_ROLES


def role_of(user: AnyUser) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "role", None)


def has_role(user: AnyUser, *roles: str) -> TypeGuard[User]:
    """Whether the user is active and holds one of the roles (so is a portal user)."""
    return role_of(user) in roles


def require_role(user: AnyUser, *roles: str, action: str = "do this") -> None:
    """Raise PermissionDenied unless the user holds one of the roles; services call this first."""
    if not has_role(user, *roles):
        # In the page's language (the API's is English); `action` is translated if the
        # catalogue has it (locale/services), else left as the caller wrote it.
        names = ", ".join(gettext(str(Role(r).label)) for r in roles)
        raise PermissionDenied(
            gettext("Only %(roles)s may %(action)s.") % {"roles": names, "action": gettext(action)}
        )
