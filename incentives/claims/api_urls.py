"""API routes of Sales claims, joined under /api/."""

urlpatterns: list = []
