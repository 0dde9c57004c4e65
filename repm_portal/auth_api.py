"""API log-in: expiring, revocable tokens (django-rest-knox), throttled and behind axes' lock-out."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox import views as knox_views
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from repm_portal import logins
from repm_portal.schema import never_answers


class LoginThrottle(ScopedRateThrottle):
    """Per address, on the token endpoint only; the rate is read when asked, so tests may set it."""

    scope_attr = "throttle_scope"

    def get_rate(self) -> str | None:
        rates = cast(dict[str, str], api_settings.DEFAULT_THROTTLE_RATES or {})
        return rates.get(self.scope or "")


_TOKEN = inline_serializer(
    "AuthTokenIssued",
    {
        "token": serializers.CharField(help_text="Send as `Authorization: Token <token>`."),
        "expiry": serializers.DateTimeField(help_text="The token is refused after this moment."),
    },
)
_LOCKED = inline_serializer("AuthLockedOut", {"detail": serializers.CharField()})


class TokenLoginView(knox_views.LoginView):
    """A new token for each good username and password; the old ones stay valid until they expire."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]
    throttle_scope = "auth-token"
    serializer_class = AuthTokenSerializer

    @extend_schema(
        operation_id="auth_token_create",
        request=AuthTokenSerializer,
        responses={
            200: _TOKEN,
            400: OpenApiResponse(description="The username and password do not match."),
            429: OpenApiResponse(_LOCKED, description="Locked out, or too many attempts."),
        },
        auth=[],
    )
    def post(self, request, format=None):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if logins.is_locked_out(request, username):
            return Response(
                {"detail": logins.lockout_message(request)},
                status=settings.AXES_HTTP_RESPONSE_CODE,
            )
        serializer = self.serializer_class(data=request.data, context=self.get_context())
        if not serializer.is_valid():
            if logins.is_locked_out(request, username):  # this failure was the last one allowed
                return Response(
                    {"detail": logins.lockout_message(request)},
                    status=settings.AXES_HTTP_RESPONSE_CODE,
                )
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        request.user = serializer.validated_data["user"]
        return super().post(request, format=format)


class TokenLogoutView(knox_views.LogoutView):
    """Revokes the token this call is made with."""

    @extend_schema(operation_id="auth_logout", request=None, responses={204: OpenApiResponse()})
    @never_answers(400, 403)  # reads no body; a token (no session, no CSRF) is all it needs
    def post(self, request, format=None):
        return super().post(request, format=format)


class TokenLogoutAllView(knox_views.LogoutAllView):
    """Revokes every token of the user this call is made for."""

    @extend_schema(operation_id="auth_logout_all", request=None, responses={204: OpenApiResponse()})
    @never_answers(400, 403)
    def post(self, request, format=None):
        return super().post(request, format=format)
