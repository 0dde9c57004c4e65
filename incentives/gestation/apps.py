"""App config for Gestation."""

from django.apps import AppConfig


class GestationConfig(AppConfig):
    name = "incentives.gestation"
    label = "gestation"
    verbose_name = "Gestation"
