"""App config for Recovery: its panels, and the guarantee kept while a recovery awaits confirmation."""

from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "incentives.recovery"
    label = "recovery"
    verbose_name = "Recovery"

    def ready(self) -> None:
        from bidding.services import register_obligation_check
        from incentives.recovery import panels, selectors

        panels.register()
        register_obligation_check(selectors.recovery_pending)
