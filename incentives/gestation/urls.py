"""Pages of Gestation."""

urlpatterns: list = []
