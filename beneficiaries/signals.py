"""Sign-ins and failed sign-ins go to the audit trail (Django reports them only through signals)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from repm_portal import audit


def _client(request) -> dict:
    if request is None:
        return {}
    return {
        "ip": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
    }


@receiver(user_logged_in, dispatch_uid="audit_login")
def record_login(sender, request, user, **kwargs):
    with transaction.atomic():
        audit.record(actor=user, action="user.logged_in", obj=user, new=_client(request))


@receiver(user_logged_out, dispatch_uid="audit_logout")
def record_logout(sender, request, user, **kwargs):
    if user is not None:
        with transaction.atomic():
            audit.record(actor=user, action="user.logged_out", obj=user, new=_client(request))


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def record_failed_login(sender, credentials, request=None, **kwargs):
    # Only the username tried; Django already strips the password from `credentials`.
    username = str(credentials.get("username", ""))[:150]
    with transaction.atomic():
        audit.record(
            actor=None,
            action="user.login_failed",
            object_type="beneficiaries.user",
            object_id="",
            object_repr=username,
            new={"username": username, **_client(request)},
        )
