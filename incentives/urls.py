"""Pages of incentives."""

urlpatterns: list = []
