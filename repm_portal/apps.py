"""App config for the scheme core."""

from django.apps import AppConfig


class RepmPortalConfig(AppConfig):
    name = "repm_portal"
    verbose_name = "REPM scheme core"

    def ready(self) -> None:
        from repm_portal import panels, public_cache

        panels.register()
        public_cache.connect()
