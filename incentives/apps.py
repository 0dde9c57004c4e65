"""App config for incentives."""

from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"
