"""App config for incentives."""

from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = "Incentives: ledger, sanctions and payments"

    def ready(self) -> None:
        from incentives import panels

        panels.register()
