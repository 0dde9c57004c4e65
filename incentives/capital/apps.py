"""App config for Capital subsidy: registers its claim kind with the sanction pipeline, and its panels."""

from django.apps import AppConfig


class CapitalConfig(AppConfig):
    name = "incentives.capital"
    label = "capital"
    verbose_name = "Capital subsidy"

    def ready(self) -> None:
        from incentives import sanctions
        from incentives.capital import panels, services

        sanctions.register(services.claim_kind())
        panels.register()
