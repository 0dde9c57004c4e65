"""App config for bidding: tenders, sealed bids, openings, evaluation, ranking and awards."""

from django.apps import AppConfig


class BiddingConfig(AppConfig):
    name = "bidding"
    verbose_name = "Bidding"

    def ready(self) -> None:
        from bidding import panels

        panels.register()
