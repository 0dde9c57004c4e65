"""Pages of Capital subsidy."""

urlpatterns: list = []
