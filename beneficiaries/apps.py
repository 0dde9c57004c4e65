"""App config for firms, consortia and people."""

from django.apps import AppConfig


class BeneficiariesConfig(AppConfig):
    name = "beneficiaries"

    def ready(self) -> None:
        from beneficiaries import panels

        panels.register()
