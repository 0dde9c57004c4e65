"""App config of the scheme monitor: what was promised, built, sold and paid, for officials and the public."""

from django.apps import AppConfig


class MonitorConfig(AppConfig):
    name = "incentives.monitor"
    label = "monitor"
    verbose_name = "Scheme monitor"

    def ready(self) -> None:
        from incentives.monitor import panels

        panels.register()
