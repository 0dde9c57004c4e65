"""App config for incentives."""

from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = "Incentives: ledger, sanctions and payments"

    def ready(self) -> None:
        from bidding.services import register_obligation_check
        from incentives import ledger, panels

        panels.register()
        register_obligation_check(ledger.deductions_outstanding)
