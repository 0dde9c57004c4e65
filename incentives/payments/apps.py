"""App config for bank payment runs: its navigation and dashboard panel."""

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "incentives.payments"
    label = "payments"
    verbose_name = "Payments through the bank's file"

    def ready(self) -> None:
        from incentives.payments import panels

        panels.register()
