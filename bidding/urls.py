"""Pages of bidding."""

urlpatterns: list = []
