"""App config for the scheme core."""

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


def grant_app_role(using: str = "default", **kwargs: Any) -> None:
    """After every migrate: the application's role gets its privileges on every table."""
    if settings.DATABASE_APP_ROLE:
        from repm_portal import dbroles

        dbroles.grant(settings.DATABASE_APP_ROLE, using=using)


def refuse_privileged_role(connection: Any, **kwargs: Any) -> None:
    """Production serves only as a role that is neither a superuser nor an owner of tables."""
    if connection.vendor != "postgresql" or connection.settings_dict.get("REPM_AS_OWNER"):
        return
    from repm_portal import dbroles

    with connection.cursor() as cursor:
        reason = dbroles.privileged_reason(cursor)
    if reason:
        user = connection.settings_dict.get("USER")
        connection.close()
        raise ImproperlyConfigured(
            f"The application refuses to connect as database role {user!r}: {reason}. "
            "Connect as the application's role (DATABASE_URL) and migrate as the owner "
            "(MIGRATION_DATABASE_URL)."
        )


class RepmPortalConfig(AppConfig):
    name = "repm_portal"
    verbose_name = "REPM scheme core"

    def ready(self) -> None:
        from repm_portal import panels, public_cache, viewer_cache

        panels.register()
        # Sent for this app once every app's migrations have run, so every table exists.
        post_migrate.connect(grant_app_role, sender=self, dispatch_uid="repm-grant-app-role")
        if settings.DATABASE_REFUSE_PRIVILEGED_ROLE:
            connection_created.connect(refuse_privileged_role, dispatch_uid="repm-refuse-owner")
        public_cache.connect()
        # Every connection's writes move the change count a viewer's cached pages are keyed by.
        connection_created.connect(viewer_cache.watch, dispatch_uid="repm-viewer-cache-watch")
