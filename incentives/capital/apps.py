"""App config for Capital subsidy."""

from django.apps import AppConfig


class CapitalConfig(AppConfig):
    name = "incentives.capital"
    label = "capital"
    verbose_name = "Capital subsidy"
