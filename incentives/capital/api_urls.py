"""API routes of Capital subsidy, joined under /api/."""

urlpatterns: list = []
