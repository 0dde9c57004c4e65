"""API routes of Gestation, joined under /api/."""

urlpatterns: list = []
