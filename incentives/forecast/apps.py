"""App config for the budget forecast: registers its page in the staff navigation."""

from django.apps import AppConfig


class ForecastConfig(AppConfig):
    name = "incentives.forecast"
    label = "forecast"
    verbose_name = "Budget forecast"

    def ready(self) -> None:
        from repm_portal.roles import READ_ALL_ROLES
        from repm_portal.ui import register_nav

        register_nav("Budget forecast", "forecast", READ_ALL_ROLES, order=57)
