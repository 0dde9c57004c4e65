"""Pages of Sales claims."""

urlpatterns: list = []
