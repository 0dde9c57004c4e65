"""Log-in defences: the lock-out answer django-axes gives, and the staff password rule."""

from __future__ import annotations

import datetime as dt
from typing import cast

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_credentials, get_failure_limit
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from repm_portal import clock
from repm_portal.roles import STAFF_ROLES


def client_ip(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE: the same address DRF's throttles count (NUM_PROXIES applies)."""
    return BaseThrottle().get_ident(cast(Request, request))  # it reads request.META only


def retry_at(request: HttpRequest | None = None) -> dt.datetime | None:
    """When a locked account may log in again (each failure during the lock-out restarts it)."""
    cool_off = get_cool_off(request)
    return None if cool_off is None else timezone.localtime(clock.now() + cool_off)


def lockout_message(request: HttpRequest | None = None) -> str:
    limit = settings.AXES_FAILURE_LIMIT
    when = retry_at(request)
    failed = ngettext(
        "This account is locked after %(limit)d failed log-in.",
        "This account is locked after %(limit)d failed log-ins.",
        limit,
    ) % {"limit": limit}
    if when is None:
        return failed + " " + _("An administrator must unlock it.")
    return failed + " " + _("Try again after %(time)s.") % {"time": when.strftime("%d %b %Y %H:%M")}


def is_locked_out(request: HttpRequest, username: str | None) -> bool:
    """Whether axes refuses this username from this address now (asked before authenticating)."""
    return AxesProxyHandler.is_locked(request, get_credentials(username=username))


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the log-in page again, saying the account is locked and until when."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    message = lockout_message(request)
    if request.META.get("HTTP_X_REQUESTED_WITH") == "XMLHttpRequest" or request.path.startswith(
        "/api/"
    ):
        return JsonResponse({"detail": message}, status=status)
    context = {
        "message": message,
        "retry_at": retry_at(request),
        "failure_limit": get_failure_limit(request, credentials),
    }
    return render(request, "registration/locked_out.html", context, status=status)


class StaffMinimumLengthValidator:
    """Staff (ministry, agency, audit, admin) passwords are at least `min_length` characters.

    Firm users keep the general minimum (Django's MinimumLengthValidator)."""

    def __init__(self, min_length: int = 12) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: object = None) -> None:
        if user is None or len(password) >= self.min_length:
            return
        staff = getattr(user, "role", None) in STAFF_ROLES or getattr(user, "is_staff", False)
        if staff or getattr(user, "is_superuser", False):
            raise ValidationError(
                ngettext(
                    "A staff password must contain at least %(min_length)d character.",
                    "A staff password must contain at least %(min_length)d characters.",
                    self.min_length,
                ),
                code="password_too_short_for_staff",
                params={"min_length": self.min_length},
            )

    def get_help_text(self) -> str:
        return ngettext(
            "A staff password must contain at least %(min_length)d character.",
            "A staff password must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class RequestOptionalAxesBackend(AxesStandaloneBackend):
    """Test settings only: Django's test `Client.login()` authenticates without a request, which
    axes refuses. Every request-borne log-in (the form, the token endpoint) is still checked."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None,
        password: str | None = None, **kwargs: object,
    ) -> None:  # fmt: skip
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
