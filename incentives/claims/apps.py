"""App config for Sales claims."""

from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "incentives.claims"
    label = "claims"
    verbose_name = "Sales claims"

    def ready(self) -> None:
        from incentives.claims import panels

        panels.register()
