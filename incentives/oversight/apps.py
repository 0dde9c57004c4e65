"""App config for oversight: the auditors' exports, linked from the navigation of those who may export."""

from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "incentives.oversight"
    label = "oversight"
    verbose_name = "Oversight"

    def ready(self) -> None:
        from incentives.oversight import panels

        panels.register()
