"""App config of the evidence bundles: registers the staff navigation entry."""

from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "incentives.evidence"
    label = "evidence"
    verbose_name = "Evidence bundles"

    def ready(self) -> None:
        from incentives.evidence import panels

        panels.register()
