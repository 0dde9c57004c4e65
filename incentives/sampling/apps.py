"""App config for post-payment sampling: its navigation and the officials' panel."""

from django.apps import AppConfig


class SamplingConfig(AppConfig):
    name = "incentives.sampling"
    label = "sampling"
    verbose_name = "Post-payment sampling"

    def ready(self) -> None:
        from incentives.sampling import panels

        panels.register()
