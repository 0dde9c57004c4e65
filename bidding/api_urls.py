"""API routes of bidding, joined under /api/."""

urlpatterns: list = []
