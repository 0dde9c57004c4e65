"""App config for firms, consortia and people."""

from django.apps import AppConfig


class BeneficiariesConfig(AppConfig):
    name = "beneficiaries"

    def ready(self) -> None:
        from beneficiaries import panels, signals  # noqa: F401 - signals connect on import

        panels.register()
