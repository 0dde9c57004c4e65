"""App config for bidding."""

from django.apps import AppConfig


class BiddingConfig(AppConfig):
    name = "bidding"
