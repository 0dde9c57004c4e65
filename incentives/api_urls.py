"""API routes of incentives, joined under /api/."""

urlpatterns: list = []
