"""App config for Gestation."""

from django.apps import AppConfig


class GestationConfig(AppConfig):
    name = "incentives.gestation"
    label = "gestation"
    verbose_name = "Gestation"

    def ready(self) -> None:
        from bidding.services import register_obligation_check
        from incentives.gestation import panels, selectors

        panels.register()
        register_obligation_check(selectors.commissioning_outstanding)
