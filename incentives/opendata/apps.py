"""App config for Open data."""

from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "incentives.opendata"
    label = "opendata"
    verbose_name = "Open data"
