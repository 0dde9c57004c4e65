"""App config for the sales-linked incentive: registers its two claim kinds with the sanction
pipeline, and its navigation and dashboard panels."""

from django.apps import AppConfig


class SliConfig(AppConfig):
    name = "incentives.sli"
    label = "sli"
    verbose_name = "Sales-linked incentive"

    def ready(self) -> None:
        from incentives import sanctions
        from incentives.sli import panels, quarter, true_up

        sanctions.register(quarter.claim_kind())
        sanctions.register(true_up.claim_kind())
        panels.register()
